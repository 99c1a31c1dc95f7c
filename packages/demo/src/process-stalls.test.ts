import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProcessStalls } from './process-stalls.js';

// Long enough that a worker thread starved by a loaded machine is not read as a stall (or as none).
const MIN_MILLIS = 2_000;

describe('ProcessStalls', () => {
  it('does not count a blocked main event loop: the worker kept running', async () => {
    const stalls = new ProcessStalls(MIN_MILLIS * 2);
    try {
      await stalls.watching;
      const until = Date.now() + MIN_MILLIS * 2.25;
      while (Date.now() < until) {
        // Busy: nothing else runs on this thread.
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stalls.seen()).toEqual([]);
    } finally {
      await stalls.stop();
    }
  });

  it('counts a stop of the whole process (SIGSTOP, then SIGCONT), as a paused VM would be', async () => {
    const module = fileURLToPath(new URL('./process-stalls.ts', import.meta.url));
    const script = `
      const { ProcessStalls } = await import(${JSON.stringify(module)});
      const stalls = new ProcessStalls(${MIN_MILLIS});
      const startedAt = performance.now();
      // stdin keeps the child alive: the watch itself never does.
      process.stdin.once('data', async () => {
        const report = { seen: stalls.seen(), justAfter: stalls.around(performance.now(), 5000), before: stalls.around(startedAt, 0) };
        process.stdout.write(JSON.stringify(report) + '\\n');
        await stalls.stop();
        process.stdin.pause();
      });
      await stalls.watching;
      process.stdout.write('watching\\n');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const nextLine = (): Promise<string> =>
      new Promise((resolve) => {
        const check = (): void => {
          const line = lines.shift();
          if (line !== undefined) resolve(line);
          else child.stdout.once('data', check);
        };
        check();
      });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
    expect(await nextLine()).toBe('watching');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppedAt = Date.now();
    child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, MIN_MILLIS * 1.5));
    child.kill('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin.write('report\n');
    const { seen, justAfter, before } = JSON.parse(await nextLine()) as {
      seen: { from: number; to: number }[];
      justAfter: boolean;
      before: boolean;
    };
    child.stdin.end();
    expect(seen.some((stall) => stall.from <= stoppedAt && stall.to - stall.from >= MIN_MILLIS)).toBe(true);
    // A failure just after the stall is placed in it (grace 5 s); one before it is not.
    expect(justAfter).toBe(true);
    expect(before).toBe(false);
  });
});
