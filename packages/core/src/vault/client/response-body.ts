/**
 * Reading an undici answer for the Vault client: a bounded body, parsed as JSON when it is JSON,
 * and single header values. Kept apart from vault-client.ts so the client reads as the request
 * path (deadline, redirect, error) alone.
 */
import { LeaseholdError } from '../../errors.js';
import type { RawAnswer } from './decode/answer.js';
import type { VaultResponse } from './vault-messages.js';

/** Largest response body read (a PKI bundle is a few KiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The first value of a header undici may give as a list. */
export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The body as text; rejects (and stops reading) past {@link MAX_BODY_BYTES}. */
export async function readBody(body: AsyncIterable<unknown> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw new LeaseholdError('LEASEHOLD_VAULT_UNEXPECTED_RESPONSE', `Vault answer larger than ${MAX_BODY_BYTES} bytes`, {
        retryable: true,
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The body parsed, and whether it was empty, JSON or something else. */
export function parseBody(text: string): { readonly body: unknown; readonly format: RawAnswer['format'] } {
  if (text.trim() === '') return { body: undefined, format: 'empty' };
  try {
    return { body: JSON.parse(text) as unknown, format: 'json' };
  } catch {
    // A proxy's HTML error page or a truncated answer: the status decides for errors, the
    // decoder refuses it for 2xx. The text is not ours to quote.
    return { body: undefined, format: 'not-json' };
  }
}

/** A response as the decoder takes it. */
export function rawAnswer(response: VaultResponse): RawAnswer {
  const format = response.format ?? (response.body === undefined ? 'empty' : 'json');
  return { status: response.status, body: response.body, format };
}
