/**
 * JWS signing and verification with node:crypto only, shared by the kubernetes and jwt auth
 * methods and by the helpers that mint tokens for tests; no JWT library to trust or update.
 */
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { registerSecretMaterial } from '../../secret-material.js';

/** A key as tests pass it: a node:crypto KeyObject (public or private) or a PEM string. */
export type KeyInput = KeyObject | string;

/** JWS algorithms the dev server verifies and the helpers sign with. */
export type JwtAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

const HASHES: Readonly<Record<JwtAlgorithm, string>> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

/** The public half of a key input. */
export function toPublicKey(key: KeyInput): KeyObject {
  if (typeof key !== 'string' && key.type === 'public') return key;
  return createPublicKey(key);
}

function defaultAlgorithm(key: KeyObject): JwtAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'ES384';
    if (curve === 'secp521r1') return 'ES512';
    return 'ES256';
  }
  return 'RS256';
}

/** Signs a compact JWS with node:crypto only (RSA -> RS256, EC P-256 -> ES256 by default). */
export function signJwt(
  payload: Readonly<Record<string, unknown>>,
  privateKey: KeyObject,
  options: { readonly algorithm?: JwtAlgorithm; readonly keyId?: string } = {},
): string {
  const algorithm = options.algorithm ?? defaultAlgorithm(privateKey);
  const header: Record<string, string> = { alg: algorithm, typ: 'JWT' };
  if (options.keyId !== undefined) header['kid'] = options.keyId;
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = sign(HASHES[algorithm], Buffer.from(input), {
    key: privateKey,
    dsaEncoding: algorithm.startsWith('ES') ? 'ieee-p1363' : 'der',
  });
  const jwt = `${input}.${signature.toString('base64url')}`;
  registerSecretMaterial('jwt', jwt);
  return jwt;
}

/** Why a JWT was rejected. */
export class JwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtError';
  }
}

/** Verifies a compact JWS against any of `keys` and returns its claims; throws {@link JwtError}. */
export function verifyJwt(token: string, keys: readonly KeyObject[]): Record<string, unknown> {
  const parts = token.trim().split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new JwtError('malformed token');
  }
  const algorithm = header['alg'];
  if (typeof algorithm !== 'string' || !(algorithm in HASHES)) throw new JwtError(`unsupported signing algorithm "${String(algorithm)}"`);
  const alg = algorithm as JwtAlgorithm;
  const data = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const ok = keys.some((key) => {
    const family = key.asymmetricKeyType === 'ec' ? 'ES' : 'RS';
    if (!alg.startsWith(family)) return false;
    try {
      return verify(HASHES[alg], data, { key, dsaEncoding: family === 'ES' ? 'ieee-p1363' : 'der' }, signature);
    } catch {
      return false;
    }
  });
  if (!ok) throw new JwtError('failed to verify id token signature');
  return payload;
}

/** Checks `exp`/`nbf` (seconds) against `nowMillis` with Vault's default 60 s leeway. */
export function checkTimes(claims: Readonly<Record<string, unknown>>, nowMillis: number, leewaySeconds = 60): void {
  const now = nowMillis / 1000;
  const exp = claims['exp'];
  if (typeof exp === 'number' && now > exp + leewaySeconds) throw new JwtError('token is expired');
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && now < nbf - leewaySeconds) throw new JwtError('token not valid yet');
}
