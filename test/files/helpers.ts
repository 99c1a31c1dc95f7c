/** Shared helpers of the file-source integration tests: temp dirs and waiting for secret events. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseholdError, Secret, Snapshot } from '@leasehold/core';

/** Generous bound for one filesystem round trip on a loaded CI machine; a liveness bound, not a timing assertion. */
export const EVENT_TIMEOUT_MILLIS = 10_000;

/** A fresh directory under os.tmpdir(); remove it with the returned function. */
export async function tempDir(prefix = 'leasehold-files-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Resolves with the first `rotated` snapshot that satisfies `accept`. */
export function rotation<T>(secret: Secret<T>, accept: (snapshot: Snapshot<T>) => boolean = () => true): Promise<Snapshot<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      secret.off('rotated', listener);
      reject(new Error('no matching rotation in time'));
    }, EVENT_TIMEOUT_MILLIS);
    const listener = (next: Snapshot<T>): void => {
      if (!accept(next)) return;
      clearTimeout(timer);
      secret.off('rotated', listener);
      resolve(next);
    };
    secret.on('rotated', listener);
  });
}

/** Resolves with the next `error` event whose code is `code`. */
export function errorEvent<T>(secret: Secret<T>, code: string): Promise<LeaseholdError> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      secret.off('error', listener);
      reject(new Error(`no ${code} error in time`));
    }, EVENT_TIMEOUT_MILLIS);
    const listener = (error: LeaseholdError): void => {
      if (error.code !== code) return;
      clearTimeout(timer);
      secret.off('error', listener);
      resolve(error);
    };
    secret.on('error', listener);
  });
}

/** Resolves once `condition` holds, checking every few milliseconds. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MILLIS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The number in `user-17` / `pass-17`. */
export function serial(text: string): number {
  return Number(/-(\d+)$/.exec(text)?.[1] ?? NaN);
}

const NODE_ARGS = ['--conditions=@leasehold/source', '--import', 'tsx'];

/** Runs a fixture; resolves with its output, or with `killed: true` if it had not exited by itself in time. */
export function runFixture(
  args: string[],
  options: { uid?: number; gid?: number } = {},
): Promise<{ code: number | null; stdout: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, killed });
    });
  });
}
