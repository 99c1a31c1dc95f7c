/**
 * The refusals that mean "these credentials are wrong, expired or revoked". The SDK treats all of
 * them as final (no retry, no credential refresh), so without help a rotation the SDK missed
 * fails the request.
 */

/** Error names AWS answers when the signing credential is wrong, expired or revoked. */
export const CREDENTIAL_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
]);

/** True when `error` is AWS refusing the request's credentials. */
export function isCredentialError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && CREDENTIAL_ERROR_NAMES.has(name);
}
