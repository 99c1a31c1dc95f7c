import { describe, expect, it } from 'vitest';
import { runDemo } from '../../packages/demo/src/run-demo.js';

const seconds = Number(process.env.LEASEHOLD_SOAK_SECONDS ?? 300);

describe('soak', () => {
  it(`serves ${seconds} s of load through continuous credential rotation with zero failed requests and no leaked lease`, async () => {
    const lines: string[] = [];
    const summary = await runDemo({ seconds, print: (line) => lines.push(line) });
    // Leave the timeline in the output: it is the evidence when something did fail.
    console.log(lines.join('\n'));
    expect(summary.queries.failed).toBe(0);
    expect(summary.s3Calls.failed).toBe(0);
    expect(summary.queries.ok).toBeGreaterThan(0);
    // Max TTL 15 s: a replacement at least every 15 s of load.
    expect(summary.dbRotations).toBeGreaterThanOrEqual(Math.floor(seconds / 15) - 1);
    expect(summary.leasesRevoked).toBe(summary.dbRotations);
    // Readiness was probed every 500 ms throughout, not once after the load.
    expect(summary.readiness.ok).toBeGreaterThanOrEqual(seconds);
    expect(summary.readiness.failed).toBe(0);
    expect(summary.rolesLeft).toEqual([]);
  });
});
