/**
 * STS AssumeRoleWithWebIdentity as the local endpoint answers it: the call IRSA makes
 * (`fromTokenFile` reads the projected service-account token and trades it for role keys).
 * The request is unsigned (the SDK's noAuth scheme for this operation); the token is the proof.
 */
import type { MemoryAwsKeyStore } from './aws-key-store.js';
import { issueTemporaryKey, type IssuedKey } from './issued-keys.js';

/** STS's default and bounds for DurationSeconds (15 minutes to 12 hours). */
const DEFAULT_DURATION_SECONDS = 3_600;
const MIN_DURATION_SECONDS = 900;
const MAX_DURATION_SECONDS = 43_200;

/** How the endpoint answers AssumeRoleWithWebIdentity. */
export interface WebIdentityOptions {
  /** Where issued keys are registered; the endpoint then accepts them until they expire. */
  readonly keys: MemoryAwsKeyStore;
  /** Whether `token` is a valid web identity token now (the test rotates the token file). */
  readonly acceptToken: (token: string) => boolean;
}

/** An STS answer: status and XML body. */
export interface StsAnswer {
  readonly status: number;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly xml?: string | undefined;
  readonly issued?: IssuedKey | undefined;
}

/** Answers one AssumeRoleWithWebIdentity request (form-encoded query protocol parameters). */
export function assumeRoleWithWebIdentity(options: WebIdentityOptions, params: URLSearchParams, now: number): StsAnswer {
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  const token = params.get('WebIdentityToken');
  if (!roleArn || !sessionName || !token) {
    return { status: 400, code: 'ValidationError', message: 'RoleArn, RoleSessionName and WebIdentityToken are required' };
  }
  const duration = Number(params.get('DurationSeconds') ?? DEFAULT_DURATION_SECONDS);
  if (!Number.isInteger(duration) || duration < MIN_DURATION_SECONDS || duration > MAX_DURATION_SECONDS) {
    return {
      status: 400,
      code: 'ValidationError',
      message: `DurationSeconds must be between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`,
    };
  }
  if (!options.acceptToken(token)) {
    return { status: 400, code: 'InvalidIdentityToken', message: "Couldn't retrieve verification key from your identity provider" };
  }
  const role = roleArn.split('/').at(-1) ?? 'role';
  const assumedArn = `arn:aws:sts::000000000000:assumed-role/${role}/${sessionName}`;
  const issued = issueTemporaryKey(options.keys, new Date(now + duration * 1000), assumedArn);
  const xml =
    `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>` +
    `<SubjectFromWebIdentityToken>system:serviceaccount:default:leasehold</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>` +
    `<AssumedRoleUser><Arn>${escapeXml(assumedArn)}</Arn><AssumedRoleId>AROA0000000000000000:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId><SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>` +
    `<SessionToken>${issued.sessionToken}</SessionToken><Expiration>${issued.expiresAt.toISOString()}</Expiration></Credentials>` +
    `<Provider>oidc.eks.us-east-1.amazonaws.com</Provider></AssumeRoleWithWebIdentityResult>` +
    `<ResponseMetadata><RequestId>leasehold-test</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`;
  return { status: 200, xml, issued };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
