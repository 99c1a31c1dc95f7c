/**
 * Scale benchmark: 1,000 Vault leases, then 1,000 mounted file secrets, in one process each.
 * The dev server (leases) and the kubelet-style writer (files) run here; the measured side runs in
 * bench/scale-worker.ts, a separate process, so only leasehold's own memory and CPU count.
 * Targets: under 150 MB RSS and under 1 % of a core while idle, for each.
 *
 *   npm run bench:scale      (SCALE_COUNT=2000 for more, SCALE_IDLE_SECONDS=60 for a longer idle window)
 * Writes bench/results/scale.json.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteDir, startVaultDev } from '@leasehold/testing';

const COUNT = Number(process.env.SCALE_COUNT ?? 1000);
const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, 'results', 'scale.json');

interface WorkerResult {
  readonly baselineRssMb: number;
  readonly rssMb: number;
  readonly idleCpuPct: number;
  readonly readyMillis: number;
  readonly closeMillis: number;
  readonly states: Record<string, number>;
}

function runWorker(env: Record<string, string>): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--conditions=@leasehold/source', '--import', 'tsx', join(HERE, 'scale-worker.ts')],
      {
        env: { ...process.env, SCALE_COUNT: String(COUNT), ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const line = output.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`scale worker exited ${code}: ${line}`));
      else resolve(JSON.parse(line) as WorkerResult);
    });
  });
}

const vault = await startVaultDev({ aws: { roles: { scale: { credentialType: 'iam_user', defaultTtl: '1h', maxTtl: '24h' } } } });
let leases: WorkerResult;
try {
  leases = await runWorker({
    SCALE_MODE: 'leases',
    SCALE_VAULT_ADDR: vault.address,
    SCALE_VAULT_TOKEN: vault.rootToken,
    SCALE_LEASE_PATH: 'aws/creds/scale',
  });
} finally {
  await vault.close();
}

const dir = await mkdtemp(join(tmpdir(), 'leasehold-bench-scale-'));
let files: WorkerResult;
try {
  for (let i = 0; i < COUNT; i++) await atomicWriteDir(join(dir, `secret-${i}`), { username: `user-${i}`, password: `pass-${i}` });
  files = await runWorker({ SCALE_MODE: 'files', SCALE_FILES_DIR: dir });
} finally {
  await rm(dir, { recursive: true, force: true });
}

const result = {
  leases: COUNT,
  rssMb: leases.rssMb,
  idleCpuPct: leases.idleCpuPct,
  fileSecrets: COUNT,
  fileRssMb: files.rssMb,
  fileIdleCpuPct: files.idleCpuPct,
  // RSS includes Node and the TypeScript loader the bench runs under (baselineRssMb, measured
  // before the first secret); the growth is what the secrets themselves cost.
  rssGrowthMb: leases.rssMb - leases.baselineRssMb,
  fileRssGrowthMb: files.rssMb - files.baselineRssMb,
  detail: { leases, files },
  targets: { rssMb: 150, idleCpuPct: 1 },
  met: leases.rssMb < 150 && files.rssMb < 150 && leases.idleCpuPct < 1 && files.idleCpuPct < 1,
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length },
};
await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `${JSON.stringify({ leases: result.leases, rssMb: result.rssMb, idleCpuPct: result.idleCpuPct, fileSecrets: result.fileSecrets, fileRssMb: result.fileRssMb, fileIdleCpuPct: result.fileIdleCpuPct, met: result.met })}\n`,
);
