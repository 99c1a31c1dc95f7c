/**
 * Ids shaped like Vault's (base62 lease suffixes, `hvs.`/`hvb.` tokens, UUID request ids), so
 * clients that check a prefix or a length see what Vault would send.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { registerSecretMaterial } from '../../secret-material.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` random characters of [0-9A-Za-z]. */
export function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += BASE62[randomInt(62)];
  return out;
}

/** `length` random characters of the given alphabet. */
export function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A request id like Vault's (UUID v4). */
export function requestId(): string {
  return randomUUID();
}

/** A service (`hvs.`) or batch (`hvb.`) token. */
export function newToken(type: 'service' | 'batch'): string {
  const token = type === 'batch' ? `hvb.${randomBytes(60).toString('base64url')}` : `hvs.${randomBase62(24)}`;
  registerSecretMaterial('vault token', token);
  return token;
}

/** A password like Vault's default password policy: 20 chars of [A-Za-z0-9-], starting alphanumeric. */
export function newPassword(): string {
  const password = randomBase62(1) + randomFrom(`${BASE62}-`, 19);
  registerSecretMaterial('database password', password);
  return password;
}
