// Runs pg-pool's own mocha suite (test/pg-pool-suite/upstream) against createPool with a static
// secret, on an embedded PostgreSQL: `npm run test:pg-pool-suite`. Tests that differ on purpose
// are listed, with the reason, in packages/pg/README.md.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '@leasehold/testing';

const here = dirname(fileURLToPath(import.meta.url));
const upstream = join(here, '../test/pg-pool-suite/upstream');
const files = readdirSync(upstream)
  .filter((file) => file.endsWith('.js') && file !== 'setup.js' && file !== 'idle-timeout-exit.js')
  .map((file) => join(upstream, file));

const server = await startPostgres();
let code = 1;
try {
  const mocha = spawn(
    process.execPath,
    [
      '--conditions=@leasehold/source',
      '--import',
      'tsx',
      join(here, '../node_modules/mocha/bin/mocha.js'),
      '--timeout',
      '10000',
      '--exit',
      '--file',
      join(upstream, 'setup.js'),
      ...process.argv.slice(2),
      ...files,
    ],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        PGHOST: server.host,
        PGPORT: String(server.port),
        PGUSER: server.user,
        PGPASSWORD: server.password,
        PGDATABASE: server.database,
      },
    },
  );
  code = await new Promise<number>((resolve) => mocha.on('exit', (exitCode) => resolve(exitCode ?? 1)));
} finally {
  await server.stop();
}
process.exitCode = code;
