#!/usr/bin/env node
/**
 * The `leasehold` command: `leasehold exec -- <cmd>`, `leasehold check`.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
