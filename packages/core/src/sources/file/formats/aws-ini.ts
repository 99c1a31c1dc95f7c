/**
 * The AWS shared credentials file (`~/.aws/credentials`): INI sections named after profiles with
 * `aws_access_key_id`, `aws_secret_access_key` and optionally `aws_session_token`. Sections named
 * `[profile x]` (the config file's style) are accepted too. Errors name path, profile and key
 * names, never values.
 */
import { LeaseholdError } from '../../../errors.js';

/** Static AWS credentials, as the AWS SDK v3 `AwsCredentialIdentity` spells them. */
export interface AwsIniCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The profile read when none is given, as the AWS CLI and SDKs do. */
export const DEFAULT_AWS_PROFILE = 'default';

/** Parses `text` and returns the credentials of `profile`. */
export function parseAwsIni(text: string, path: string, profile: string): AwsIniCredentials {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1]!.replace(/^profile\s+/, '');
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const equals = line.indexOf('=');
    if (equals <= 0 || !current) throw malformed(path, `line ${index + 1}: expected [profile] or key = value`);
    current.set(line.slice(0, equals).trim().toLowerCase(), line.slice(equals + 1).trim());
  }
  const values = sections.get(profile);
  if (!values) throw malformed(path, `profile "${profile}" not found`);
  const accessKeyId = values.get('aws_access_key_id');
  const secretAccessKey = values.get('aws_secret_access_key');
  if (!accessKeyId) throw malformed(path, `profile "${profile}" has no aws_access_key_id`);
  if (!secretAccessKey) throw malformed(path, `profile "${profile}" has no aws_secret_access_key`);
  // aws_security_token is the boto2-era name some tools still write.
  const sessionToken = values.get('aws_session_token') ?? values.get('aws_security_token');
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

function malformed(path: string, reason: string): LeaseholdError {
  return new LeaseholdError('LEASEHOLD_PARSE_FAILED', `${path} is not a usable AWS credentials file (${reason})`, {
    retryable: true, // a fixed file is picked up by the watch (docs/errors.md)
    details: { path },
  });
}
