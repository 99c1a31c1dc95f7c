/**
 * RDS IAM tokens feeding a real pool. No RDS is reachable here, so PostgreSQL plays it: before
 * each token is signed the test signs the same token itself (same keys, host, user and instant:
 * SigV4 is deterministic) and sets the role's password to it, so only the current token logs in,
 * as RDS would refuse an expired one. The 15-minute schedule runs on a fake clock that also moves
 * `Date` (the signer stamps tokens with `new Date()`).
 */
import { Signer } from '@aws-sdk/rds-signer';
import { DEFAULT_RDS_TOKEN_REFRESH_MILLIS, rdsIamSecret } from '@leasehold/aws';
import { createPool } from '@leasehold/pg';
import { connectPostgres, quoteIdent, quoteLiteral, type PostgresDatabase } from '@leasehold/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLoad } from '../pg/load.js';
import { eventually, SigningClock } from './support/signing-clock.js';

const admin = connectPostgres(inject('postgres'));
let db: PostgresDatabase;

beforeAll(async () => {
  db = await admin.createDatabase();
});
afterAll(async () => {
  await db.drop();
  await admin.close();
});

const ROTATIONS = 20;
const MAX = 4;
const keys = { accessKeyId: 'AKIARDSPOOL000000001', secretAccessKey: 'rds-pool-secret-key-xxxxxxxxxxxxxxxxxxxxx' };

// Relies on createPool's password-only rotation path: one pg-pool, new connections use the new
// password, so a token rotation never opens more than `max` connections.
describe('an RDS IAM token secret feeding createPool', () => {
  it(`serves queries through ${ROTATIONS} token rotations with 0 failures and never more than max connections`, async () => {
    const role = await admin.createRole();
    await admin.adminQuery(`GRANT ALL ON SCHEMA public TO ${quoteIdent(role.name)}`, [], { database: db.database });
    const signerFor = { hostname: db.host, port: db.port, username: role.name, region: 'eu-west-1', credentials: keys };
    const rdsLike = new Signer(signerFor);
    const clock = new SigningClock(Date.UTC(2026, 10, 30, 12, 0, 0));
    const setPasswordToTokenAt = async (): Promise<void> => {
      const token = await rdsLike.getAuthToken();
      await admin.adminQuery(`ALTER ROLE ${quoteIdent(role.name)} PASSWORD ${quoteLiteral(token)}`);
    };
    await setPasswordToTokenAt();
    const secret = rdsIamSecret({ ...signerFor, clock, random: () => 0 });
    // The next token is signed exactly DEFAULT_RDS_TOKEN_REFRESH_MILLIS after the last (no jitter):
    // make it the role's password just before, as RDS would accept it.
    clock.beforeTimer = async (due) => {
      const current = secret.peek();
      if (current && due === current.fetchedAt.getTime() + DEFAULT_RDS_TOKEN_REFRESH_MILLIS) await setPasswordToTokenAt();
    };
    const pool = createPool(secret, { host: db.host, port: db.port, database: db.database, max: MAX, idleTimeoutMillis: 0 });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = await admin.adminQuery<{ n: string }>(
          `SELECT count(*)::text AS n FROM pg_stat_activity WHERE usename = ${quoteLiteral(role.name)}`,
        );
        peak = Math.max(peak, Number(rows.rows[0]?.n ?? 0));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await secret.ready();
      await pool.query('SELECT 1');
      const load = startLoad(pool, 8);
      const tokens = new Set<string>([secret.current().value.password]);
      for (let rotation = 1; rotation <= ROTATIONS; rotation++) {
        await clock.advance(DEFAULT_RDS_TOKEN_REFRESH_MILLIS);
        await eventually(() => expect(secret.current().version).toBe(rotation + 1));
        tokens.add(secret.current().value.password);
        await eventually(async () => {
          // The pool verifies the token on one new connection before new connections use it.
          await clock.advance(0);
          expect(pool.health().version).toBe(rotation + 1);
        });
        const served = load.ok();
        await eventually(() => expect(load.ok()).toBeGreaterThan(served + 20));
      }
      const result = await load.stop();
      expect(result.errors).toEqual([]);
      expect(tokens.size).toBe(ROTATIONS + 1);
      expect(peak).toBeLessThanOrEqual(MAX);
      expect(secret.health().state).toBe('ready');
      console.log(
        `rds-iam-pool: ${ROTATIONS} rotations, ${result.ok} queries, ${result.failed} failed, peak ${peak} connections (max ${MAX})`,
      );
    } finally {
      sampling = false;
      await sampler;
      await pool.end();
      await secret.close();
      clock.restore();
    }
  }, 600_000);
});
