import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs the demo as `npm run demo` does, and returns its exit code and output. */
function runDemo(seconds: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@leasehold/source', '--import', 'tsx', 'packages/demo/src/main.ts', '--seconds', String(seconds)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('the demo', () => {
  it('keeps a service answering through a database-user rotation and key-file swaps, S3 calls signed with Vault STS keys, ready at every probe, with zero failed requests', async () => {
    // 16 s of load covers the first replacement of the 15 s max-TTL database lease.
    const { code, output } = await runDemo(16);
    expect(output).toMatch(/SQL [1-9]\d* ok, 0 failed; S3 [1-9]\d* ok, 0 failed/);
    expect(output).toMatch(/rotations: database user x[1-9]/);
    expect(output).toMatch(/old leases revoked x[1-9]/);
    expect(output).toMatch(/mounted api-key x[1-9]/);
    expect(output).toContain('dynamic Postgres roles left after close: 0');
    expect(output).toMatch(/readiness during the run: \/readyz polled [1-9]\d* times: [1-9]\d* ok, 0 failed/);
    expect(output).toMatch(/zero failed requests through \d+ database user rotations?, .*mounted api-key rotations?\./);
    // Not a TTY: plain lines, no cursor movement.
    expect(output).not.toContain('\u001b[');
    expect(output).not.toMatch(/sk_demo_/);
    expect(code).toBe(0);
  }, 120_000);
});
