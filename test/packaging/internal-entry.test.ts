// The public index is what a service may rely on; what leasehold's own packages, benchmarks and
// tests share lives behind `@leasehold/core/internal` and never leaks back into the index.
import * as core from '@leasehold/core';
import * as internal from '@leasehold/core/internal';
import { describe, expect, it } from 'vitest';

const FENCED = [
  'backoffDelay',
  'CONSUMER_BACKOFF',
  'VAULT_BACKOFF',
  'createSnapshot',
  'fallbackLogger',
  'setFallbackLogger',
  'LEASEHOLD_WARNING_TYPE',
  'permissionDeniedDelay',
  'planAfterRenewal',
  'refetchDelay',
  'renewalDelay',
  'replacementDelay',
  'retryDelay',
  'REPLACE_JITTER_FRACTION',
  'planRetry',
  'probeDelay',
  'VaultClient',
  'decodeLeaseDuration',
  'decodeLeaseRenewal',
  'MAX_VAULT_DURATION_SECONDS',
  'normalizeWarnings',
  'staticCredentialsRecheck',
];

describe('@leasehold/core/internal', () => {
  it('holds the schedule math, backoff policies, VaultClient, createSnapshot, the fallback logger seam and the warning type', () => {
    expect(Object.keys(internal).sort()).toEqual([...FENCED].sort());
  });

  it('keeps them out of the public index', () => {
    expect(Object.keys(core).filter((name) => FENCED.includes(name))).toEqual([]);
  });
});
