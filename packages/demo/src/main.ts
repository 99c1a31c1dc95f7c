#!/usr/bin/env node
/**
 * `npm run demo`: the payments service under live rotations. It lives in its own private workspace
 * because it needs the test servers and the AWS SDK clients, which no published package should pull in.
 *
 *   npm run demo -- [--seconds N] [--plain]
 */
import { DEMO_LEASE_MAX_TTL } from './demo-world.js';
import type { DemoView } from './demo-view.js';
import { LiveView } from './live-view.js';
import { PlainView } from './plain-view.js';
import { runDemo } from './run-demo.js';
import { summaryLines } from './summary.js';

/** Where the demo writes. */
interface Output {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

// The AWS SDK warns on Node 20 that its releases after January 2027 will need Node 22. This
// project supports Node 20 (engines), the warning says nothing about this run, and on a live view
// it would tear the picture; a user's own setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function demo(args: readonly string[], output: Output): Promise<number> {
  const index = args.indexOf('--seconds');
  const seconds = index === -1 ? Number(process.env.LEASEHOLD_DEMO_SECONDS ?? 30) : Number(args[index + 1]);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    output.err('demo: --seconds must be a positive number');
    return 2;
  }
  // A redrawn picture only makes sense on a terminal; a pipe, a file or CI gets plain lines.
  const view: DemoView = process.stdout.isTTY && !args.includes('--plain') ? new LiveView(process.stdout) : new PlainView(output.out);
  const summary = await runDemo({ seconds, print: output.out, view });
  for (const line of summaryLines(summary, DEMO_LEASE_MAX_TTL)) output.out(line);
  const failed = summary.queries.failed + summary.s3Calls.failed;
  return failed === 0 && summary.rolesLeft.length === 0 ? 0 : 1;
}

process.exitCode = await demo(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
