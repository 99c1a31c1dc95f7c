/** Error answers worded exactly as Vault words them; clients match on these texts. */
/** Vault's body for a valid token whose policies deny the path. */
export const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';
/** Vault's body for an expired, revoked or unknown token. */
export const INVALID_TOKEN = '2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n';

/**
 * An error answer of the dev server: `status` with `{"errors": errors}`, or with `body` instead
 * when Vault answers an error status with a full response (KV v2 soft-deleted reads).
 */
export class VaultHttpError extends Error {
  readonly status: number;
  readonly errors: readonly string[];
  readonly body: unknown;

  constructor(status: number, errors: readonly string[], body?: unknown, options?: { readonly cause?: unknown }) {
    super(errors[0] ?? `HTTP ${status}`, options);
    this.name = 'VaultHttpError';
    this.status = status;
    this.errors = errors;
    this.body = body;
  }
}

/** 400 with one message. */
export function badRequest(message: string): VaultHttpError {
  return new VaultHttpError(400, [message]);
}

/** 404 `{"errors":[]}`: a read of a missing path. */
export function notFound(): VaultHttpError {
  return new VaultHttpError(404, []);
}

/** 403 policy denial. */
export function permissionDenied(): VaultHttpError {
  return new VaultHttpError(403, [PERMISSION_DENIED]);
}

/** 404 for a path no mount handles. */
export function noHandler(path: string): VaultHttpError {
  return new VaultHttpError(404, [`no handler for route "${path}". route entry not found.`]);
}

/** 405 for a method the path does not support. */
export function unsupportedOperation(): VaultHttpError {
  return new VaultHttpError(405, ['1 error occurred:\n\t* unsupported operation\n\n']);
}
