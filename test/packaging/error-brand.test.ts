// `instanceof` across two installed copies: each import below, after vi.resetModules(), evaluates
// core and pg afresh, as an app with @leasehold/core nested under @leasehold/pg would.
import { inspect } from 'node:util';
import type * as Aws from '@leasehold/aws';
import type * as Core from '@leasehold/core';
import type * as Pg from '@leasehold/pg';
import { describe, expect, it, vi } from 'vitest';

interface Copy {
  readonly core: typeof Core;
  readonly pg: typeof Pg;
  readonly aws: typeof Aws;
}

async function loadCopy(): Promise<Copy> {
  vi.resetModules();
  const [core, pg, aws] = await Promise.all([import('@leasehold/core'), import('@leasehold/pg'), import('@leasehold/aws')]);
  return { core, pg, aws };
}

describe('LeaseholdError across two installed copies', () => {
  it('loads two distinct copies of the classes', async () => {
    const first = await loadCopy();
    const second = await loadCopy();
    expect(first.core.LeaseholdError).not.toBe(second.core.LeaseholdError);
    expect(first.pg.PgError).not.toBe(second.pg.PgError);
    // The prototype chains really are separate: only the brand can make instanceof hold.
    expect(Object.getPrototypeOf(second.pg.PgError.prototype)).toBe(second.core.LeaseholdError.prototype);
    expect(Object.getPrototypeOf(second.pg.PgError.prototype)).not.toBe(first.core.LeaseholdError.prototype);
  });

  it("recognises the other copy's errors as LeaseholdError", async () => {
    const first = await loadCopy();
    const second = await loadCopy();
    const core = new second.core.LeaseholdError('LEASEHOLD_CLOSED', 'closed');
    const pg = new second.pg.PgError('LEASEHOLD_PG_POOL_ENDED', 'ended');
    expect(core instanceof first.core.LeaseholdError).toBe(true);
    expect(pg instanceof first.core.LeaseholdError).toBe(true);
    expect(first.core.isLeaseholdError(pg, 'LEASEHOLD_PG_POOL_ENDED')).toBe(true);
  });

  it("recognises a subclass by its kind, not its siblings'", async () => {
    const first = await loadCopy();
    const second = await loadCopy();
    const pg = new second.pg.PgError('LEASEHOLD_PG_AUTH_FAILED', 'refused');
    const aws = new second.aws.AwsError('LEASEHOLD_AWS_NO_CREDENTIALS', 'none');
    const core = new second.core.LeaseholdError('LEASEHOLD_CLOSED', 'closed');
    expect(pg instanceof first.pg.PgError).toBe(true);
    expect(aws instanceof first.aws.AwsError).toBe(true);
    expect(pg instanceof first.aws.AwsError).toBe(false);
    expect(aws instanceof first.pg.PgError).toBe(false);
    expect(core instanceof first.pg.PgError).toBe(false);
  });

  it('refuses what is not a leasehold error, whatever its name or code', async () => {
    const { core, pg } = await loadCopy();
    const lookalike = Object.assign(new Error('x'), { name: 'LeaseholdError', code: 'LEASEHOLD_CLOSED' });
    for (const value of [lookalike, new Error('x'), null, undefined, 'LEASEHOLD_CLOSED', { code: 'LEASEHOLD_CLOSED' }]) {
      expect(value instanceof core.LeaseholdError).toBe(false);
      expect(value instanceof pg.PgError).toBe(false);
    }
  });

  it('keeps the brand out of logs and JSON', async () => {
    const { pg } = await loadCopy();
    const error = new pg.PgError('LEASEHOLD_PG_NOT_READY', 'waiting', { retryable: true });
    expect(error.name).toBe('PgError');
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'PgError', code: 'LEASEHOLD_PG_NOT_READY', retryable: true, details: {} });
    expect(inspect(error)).not.toContain('leasehold.error');
    expect(Object.getOwnPropertySymbols(error).map((symbol) => Object.prototype.propertyIsEnumerable.call(error, symbol))).toEqual([false]);
  });
});
