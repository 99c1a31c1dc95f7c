/**
 * registerOtelMetrics against the real OpenTelemetry SDK (a MeterProvider with the in-memory
 * exporter) and a real pool on PostgreSQL: the same facts as the Prometheus metrics, pools under
 * the `db.client.connection.*` conventions, and no value anywhere in what is exported.
 */
import { LeaseholdError, ManualClock, registerOtelMetrics, type Snapshot } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import { connectPostgres, manualSecret } from '@leasehold/testing';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { contextSecret } from './context-secret.js';

const PASSWORDS = ['first-S3cret-pw', 'second-S3cret-pw'];

function otel() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: the test collects by forceFlush, never by time.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
  };
  return { meter: provider.getMeter('leasehold-test'), provider, collect };
}

function points(metrics: MetricData[], name: string): { attributes: Record<string, unknown>; value: unknown }[] {
  const metric = metrics.find((candidate) => candidate.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }));
}

describe('registerOtelMetrics', () => {
  it('records expiry, state, rotations, renewals, errors and rotation duration by name only', async () => {
    const clock = new ManualClock();
    const { meter, provider, collect } = otel();
    const db = contextSecret<{ username: string; password: string }>('db-credentials', { clock });
    db.secret.subscribe({
      name: 'users-pool',
      adopt: (_next: Snapshot<{ username: string; password: string }>) => new Promise<void>((resolve) => clock.setTimeout(resolve, 1500)),
    });
    const metrics = registerOtelMetrics([db.secret], { meter, clock });

    db.offer(
      { username: 'app', password: PASSWORDS[0]! },
      { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'database/creds/app/1' },
    );
    await clock.advance(1500);
    db.offer(
      { username: 'app', password: PASSWORDS[1]! },
      { expiresAt: new Date(clock.now() + 3_600_000), leaseId: 'database/creds/app/2' },
    );
    await clock.advance(1500);
    db.context.extend('database/creds/app/2', new Date(clock.now() + 7_200_000));
    db.context.failed(
      new LeaseholdError('LEASEHOLD_VAULT_UNAVAILABLE', 'Vault answered 503 for lease database/creds/app/2', { retryable: true }),
      {
        step: 'renew',
        nextAttemptAt: new Date(clock.now() + 1000),
      },
    );

    const exported = await collect();
    const secret = { 'leasehold.secret.name': 'db-credentials' };
    expect(points(exported, 'leasehold.secret.expiry')).toEqual([{ attributes: secret, value: 7200 }]);
    expect(points(exported, 'leasehold.secret.state')).toContainEqual({
      attributes: { ...secret, 'leasehold.secret.state': 'degraded' },
      value: 1,
    });
    expect(points(exported, 'leasehold.secret.state')).toContainEqual({
      attributes: { ...secret, 'leasehold.secret.state': 'ready' },
      value: 0,
    });
    expect(points(exported, 'leasehold.secret.rotations')).toEqual([{ attributes: secret, value: 1 }]);
    expect(points(exported, 'leasehold.secret.renewals')).toEqual(
      expect.arrayContaining([
        { attributes: { ...secret, 'leasehold.renewal.result': 'success' }, value: 1 },
        { attributes: { ...secret, 'leasehold.renewal.result': 'failure' }, value: 1 },
      ]),
    );
    expect(points(exported, 'leasehold.secret.errors')).toEqual([
      { attributes: { ...secret, 'error.type': 'LEASEHOLD_VAULT_UNAVAILABLE' }, value: 1 },
    ]);
    const [duration] = points(exported, 'leasehold.secret.rotation.duration');
    expect(duration?.value).toMatchObject({ count: 1, sum: 1.5 });
    const units = Object.fromEntries(exported.map((metric) => [metric.descriptor.name, metric.descriptor.unit]));
    expect(units).toMatchObject({ 'leasehold.secret.expiry': 's', 'leasehold.secret.rotation.duration': 's' });
    for (const password of PASSWORDS) expect(JSON.stringify(exported)).not.toContain(password);

    await metrics.close();
    await db.secret.close();
    await provider.shutdown();
  });

  it('stops observing after close(), and close() called twice returns the same promise', async () => {
    const { meter, provider, collect } = otel();
    const db = contextSecret<{ password: string }>('closing');
    db.offer({ password: 'a-password' }, { expiresAt: new Date(Date.now() + 60_000) });
    const metrics = registerOtelMetrics([db.secret], { meter });
    expect(points(await collect(), 'leasehold.secret.expiry')).toHaveLength(1);
    const first = metrics.close();
    expect(metrics.close()).toBe(first);
    await first;
    // Cumulative storage keeps the last point; a callback still registered would observe the new expiry.
    db.offer({ password: 'b-password' }, { expiresAt: new Date(Date.now() + 600_000) });
    const [after] = points(await collect(), 'leasehold.secret.expiry');
    expect(after?.value).toBeLessThanOrEqual(60);
    await db.secret.close();
    await provider.shutdown();
  });

  describe('a pool on PostgreSQL', () => {
    const admin = connectPostgres(inject('postgres'));
    afterAll(() => admin.close());
    let role: { name: string; password: string };
    beforeAll(async () => {
      role = await admin.createRole();
    });

    it('reports connections by state under db.client.connection.count with the pool name', async () => {
      const { meter, provider, collect } = otel();
      const facts = inject('postgres');
      const credentials = manualSecret<{ username: string; password: string }>('pool-credentials');
      credentials.set({ username: role.name, password: role.password });
      const pool = createPool(credentials.secret, { host: facts.host, port: facts.port, database: 'postgres', max: 4 });
      const metrics = registerOtelMetrics([credentials.secret, pool], { meter });

      const held = await pool.connect();
      await pool.query('SELECT 1');
      const exported = await collect();
      const poolName = pool.health().name;
      const connections = points(exported, 'db.client.connection.count');
      expect(connections).toContainEqual({
        attributes: { 'db.client.connection.pool.name': poolName, 'db.client.connection.state': 'used' },
        value: 1,
      });
      const idle = connections.find((point) => point.attributes['db.client.connection.state'] === 'idle');
      expect(idle?.value).toBeGreaterThanOrEqual(1);
      expect(points(exported, 'leasehold.pool.generations')).toEqual([
        { attributes: { 'db.client.connection.pool.name': poolName }, value: 1 },
      ]);
      expect(JSON.stringify(exported)).not.toContain(role.password);

      held.release();
      await metrics.close();
      await pool.end();
      await credentials.secret.close();
      await provider.shutdown();
    });
  });
});
