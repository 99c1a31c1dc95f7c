// Every public object that can hold a secret, printed every way a service prints things:
// util.inspect at any depth with hidden properties and getters, JSON.stringify, util.format's %o
// and %O, console.table, and the same for every object reachable from it by property access
// (own properties, hidden and symbol-keyed ones included). No form may show a secret value.
// The one exception is by design and documented (docs/observability.md): a snapshot's `value` is
// the credential the app uses, so property access gives the real strings, and console.table, which
// reads an object's fields exactly as a spread does, shows the fields of the value it is handed.
import { Console } from 'node:console';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { onTestFinished, describe, expect, it } from 'vitest';
import type { VaultSession } from '@leasehold/core';
import { createPool } from '@leasehold/pg';
import { envSecret, fileSecret, healthCheck, LeaseholdError, protectValue, Sensitive, type Secret, type Snapshot } from '@leasehold/core';
import { tempDir } from '../files/helpers.js';
import { openSession } from '../vault/helpers.js';
import { expectNoSecret } from './capture.js';

const FILE_SECRETS = ['nested-db-Pa55word', 'list-item-t0ken-1', 'deep-deeper-k3y', 'top-level-api-k3y'];
const ENV_SECRET = 'env-Pa55word-abcdef';

/** console.table into a string. */
function table(value: unknown): string {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  new Console(sink).table(value);
  return text;
}

/** Every printed form of `value` except console.table. */
function printedForms(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? '';
  } catch {
    json = '';
  }
  return [
    inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    inspect(value, { depth: Infinity }),
    format('%o|%O|%j|%s', value, value, value, value),
    json,
  ].join('\n');
}

function isSnapshot(value: object): value is Snapshot<unknown> {
  return 'fingerprint' in value && 'version' in value && 'fetchedAt' in value;
}

interface Reached {
  readonly path: string;
  readonly value: unknown;
  /** True inside a snapshot's `value`: the secret itself, reached on purpose. */
  readonly insideValue: boolean;
}

/** Everything reachable from `root` by property access (own keys, hidden and symbols too), breadth first. */
function reachable(root: unknown, rootPath: string, rootIsValue: boolean, maxDepth = 6): Reached[] {
  const found: Reached[] = [];
  const seen = new Set<unknown>();
  let level: Reached[] = [{ path: rootPath, value: root, insideValue: rootIsValue }];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: Reached[] = [];
    for (const item of level) {
      found.push(item);
      const { value } = item;
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
      seen.add(value);
      if (typeof value === 'function') continue;
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        let child: unknown;
        try {
          child = descriptor && 'value' in descriptor ? descriptor.value : descriptor?.get?.call(value);
        } catch {
          continue;
        }
        const insideValue = item.insideValue || (key === 'value' && isSnapshot(value));
        next.push({ path: `${item.path}.${String(key)}`, value: child, insideValue });
      }
    }
    level = next;
  }
  return found;
}

/**
 * Checks every form of every object reachable from `roots`. Roots named in `values` are secret
 * values themselves (a snapshot's `value` and its parts). Returns how many objects were checked.
 */
function checkAll(roots: Record<string, unknown>, secrets: readonly string[], values: readonly string[] = []): number {
  let checked = 0;
  for (const [name, root] of Object.entries(roots)) {
    for (const { path, value, insideValue } of reachable(root, name, values.includes(name))) {
      if (typeof value === 'function') continue;
      if (value === null || typeof value !== 'object') {
        // A string reached inside a value is the secret itself; anywhere else it must hold none.
        if (!insideValue) expectNoSecret(String(value), secrets, path);
        continue;
      }
      checked++;
      expectNoSecret(printedForms(value), secrets, path);
      // console.table reads a plain object's fields the way a spread does, so it shows the fields
      // of the value itself (documented in redact.ts); every other object must print none.
      if (!insideValue) expectNoSecret(`${table(value)}${table([value])}`, secrets, `console.table ${path}`);
    }
  }
  return checked;
}

async function nestedFileSecret(): Promise<Secret<Record<string, unknown>>> {
  const { dir, remove } = await tempDir('leasehold-printing-');
  onTestFinished(remove);
  const path = join(dir, 'config.json');
  await writeFile(
    path,
    JSON.stringify({
      db: { password: FILE_SECRETS[0] },
      list: [FILE_SECRETS[1], { deep: { deeper: FILE_SECRETS[2] } }],
      apiKey: FILE_SECRETS[3],
    }),
  );
  const secret = fileSecret<Record<string, unknown>>({ path });
  onTestFinished(() => secret.close());
  return secret;
}

/** The error of a JSON file that does not parse, the secret inside it. */
async function brokenFileError(): Promise<unknown> {
  const { dir, remove } = await tempDir('leasehold-printing-');
  onTestFinished(remove);
  const path = join(dir, 'broken.json');
  await writeFile(path, `{"apiKey": "${FILE_SECRETS[3]!}" ,, }`);
  const secret = fileSecret({ path, startTimeoutMillis: 500 });
  onTestFinished(() => secret.close());
  return secret.ready().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('no public object prints a secret, at any depth, in any form', () => {
  it('file and environment secrets, their snapshots, values, health and errors', async () => {
    const file = await nestedFileSecret();
    const snapshot = await file.ready();
    const env = envSecret<{ password: string }>({ variables: { password: 'APP_PASSWORD' }, env: { APP_PASSWORD: ENV_SECRET } });
    onTestFinished(() => env.close());
    await env.ready();
    const refused = await brokenFileError();
    expect(refused).toBeInstanceOf(LeaseholdError);
    const value = snapshot.value as { db: { password: string }; list: unknown[] };
    // The values are there to be used: property access gives the real strings.
    expect(value.db.password).toBe(FILE_SECRETS[0]);
    expect({ ...value }.db).toBe(value.db);
    const secrets = [...FILE_SECRETS, ENV_SECRET];
    const checked = checkAll(
      {
        file,
        env,
        snapshot,
        envSnapshot: env.current(),
        value,
        nested: value.db,
        list: value.list,
        health: file.health(),
        report: healthCheck([file, env]).report(),
        check: healthCheck([file, env]),
        sensitive: new Sensitive(ENV_SECRET),
        protectedAgain: protectValue({ inner: { password: FILE_SECRETS[0] } }),
        error: refused,
        snapshots: [snapshot, env.current()],
      },
      secrets,
      ['value', 'nested', 'list', 'protectedAgain'],
    );
    expect(checked).toBeGreaterThan(30);
  });

  it('a Vault session, its lease, the lease snapshot and value, a pool, health and a Vault error', async () => {
    const { s, w } = await openSession();
    const db = s.lease<{ username: string; password: string }>('database/creds/app');
    const snapshot = await db.ready();
    const facts = w.admin;
    const pool = createPool(db, { host: facts.host, port: facts.port, database: facts.database, max: 2 });
    onTestFinished(() => pool.end());
    await pool.query('SELECT 1');
    const denied = s.lease('database/creds/forbidden', { startTimeoutMillis: 5_000 });
    const error = await denied.ready().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(LeaseholdError);
    const token = await tokenOf(s);
    const secrets = [snapshot.value.password, snapshot.value.username, token];
    const checked = checkAll(
      {
        session: s,
        db,
        snapshot,
        value: snapshot.value,
        sessionHealth: s.health(),
        leaseHealth: db.health(),
        poolOptions: pool.options,
        poolHealth: pool.health(),
        report: healthCheck([s, db, denied, pool]).report(),
        error,
        client: s.client,
      },
      secrets,
      ['value'],
    );
    expect(checked).toBeGreaterThan(20);
    // The pool itself, down to pg's clients: no password (pg keeps the one it resolved on each
    // client until leasehold puts the function back) and no token. The user name is left out of
    // this search on purpose: pg keeps it on every client (`client.user`, its connection
    // parameters) and reads it there, so a pool printed at depth shows it, as any pg.Pool does.
    // Health and reports never show it (above). Documented in docs/observability.md.
    expect(checkAll({ pool }, [snapshot.value.password, token])).toBeGreaterThan(10);
  });

  it('console.table of a secret, a snapshot, a list of snapshots, health and a report shows no value', async () => {
    const file = await nestedFileSecret();
    const snapshot = await file.ready();
    const env = envSecret<{ password: string }>({ variables: { password: 'APP_PASSWORD' }, env: { APP_PASSWORD: ENV_SECRET } });
    onTestFinished(() => env.close());
    const envSnapshot = await env.ready();
    const secrets = [...FILE_SECRETS, ENV_SECRET];
    const tables: Record<string, string> = {
      'console.table(secret)': table(file),
      'console.table(snapshot)': table(snapshot),
      'console.table([snapshot, envSnapshot])': table([snapshot, envSnapshot]),
      'console.table({ file: snapshot, env: envSnapshot })': table({ file: snapshot, env: envSnapshot }),
      'console.table([secret, envSecret])': table([file, env]),
      'console.table(health)': table(file.health()),
      'console.table(report.components)': table(healthCheck([file, env]).report().components),
      // The value's nested objects, when they land in a cell, are printed by inspect: redacted.
      'console.table(value.list)': table((snapshot.value as { list: unknown[] }).list.slice(1)),
    };
    // The tables do show rows and columns (the snapshot's version, the secret's name).
    expect(tables['console.table(snapshot)']).toContain('version');
    expect(tables['console.table([secret, envSecret])']).toContain('name');
    for (const [where, text] of Object.entries(tables)) expectNoSecret(text, secrets, where);

    // By design (documented): the value's own string fields are the app's credential, and
    // console.table reads them as a spread does. This pins the documented behaviour.
    expect(table(envSnapshot.value)).toContain(ENV_SECRET);
  });
});

/** The session's token, read back the way a debugging user would: it is in no public field, so ask Vault. */
async function tokenOf(session: VaultSession): Promise<string> {
  const seen: string[] = [];
  const original = session.client.send.bind(session.client);
  // One authenticated request through the session, recording the token it sends.
  session.client.send = (request) => {
    const token = request.token?.reveal();
    if (token) seen.push(token);
    return original(request);
  };
  await session.request({ method: 'GET', path: 'auth/token/lookup-self' });
  session.client.send = original;
  expect(seen).toHaveLength(1);
  return seen[0]!;
}
