/**
 * The measured side of `npm run bench:scale`, in a process of its own so the dev server and the
 * file writer in the parent do not count: it opens COUNT Vault leases or COUNT file secrets, waits
 * until every one is ready, then reports its RSS and its CPU use over an idle window as one JSON line.
 */
import { fileSecret, VaultSession, type Secret } from '@leasehold/core';

const mode = process.env.SCALE_MODE;
const count = Number(process.env.SCALE_COUNT ?? 1000);
const idleSeconds = Number(process.env.SCALE_IDLE_SECONDS ?? 20);
const gc = (globalThis as { gc?: () => void }).gc;

const sleep = (millis: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, millis));
const rssMb = (): number => process.memoryUsage().rss / 1024 / 1024;

gc?.();
const baselineRssMb = rssMb();
const secrets: Secret<unknown>[] = [];
let session: VaultSession | undefined;
const startedAt = performance.now();
if (mode === 'leases') {
  session = new VaultSession({
    address: process.env.SCALE_VAULT_ADDR,
    auth: { method: 'token', token: process.env.SCALE_VAULT_TOKEN },
    revokeOnClose: true,
  });
  for (let i = 0; i < count; i++) secrets.push(session.lease<unknown>(process.env.SCALE_LEASE_PATH ?? 'aws/creds/scale'));
} else if (mode === 'files') {
  const root = process.env.SCALE_FILES_DIR ?? '';
  for (let i = 0; i < count; i++) secrets.push(fileSecret<unknown>({ path: `${root}/secret-${i}` }));
} else {
  throw new Error(`SCALE_MODE must be leases or files, got ${mode}`);
}
await Promise.all(secrets.map((secret) => secret.ready()));
const readyMillis = performance.now() - startedAt;

// Let start-up garbage settle, then measure a quiet stretch: renewal timers are hours away.
await sleep(2000);
gc?.();
const settledRssMb = rssMb();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
await sleep(idleSeconds * 1000);
const cpu = process.cpuUsage(cpuBefore);
const wallMillis = performance.now() - wallBefore;
const idleCpuPct = ((cpu.user + cpu.system) / 1000 / wallMillis) * 100;
const states = new Map<string, number>();
for (const secret of secrets) states.set(secret.health().state, (states.get(secret.health().state) ?? 0) + 1);

const closeStartedAt = performance.now();
await Promise.all(secrets.map((secret) => secret.close()));
await session?.close();
const closeMillis = performance.now() - closeStartedAt;

process.stdout.write(
  `${JSON.stringify({
    mode,
    count,
    baselineRssMb: Math.round(baselineRssMb),
    rssMb: Math.round(Math.max(settledRssMb, rssMb())),
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    idleCpuPct: Number(idleCpuPct.toFixed(2)),
    idleSeconds,
    readyMillis: Math.round(readyMillis),
    closeMillis: Math.round(closeMillis),
    states: Object.fromEntries(states),
  })}\n`,
);
