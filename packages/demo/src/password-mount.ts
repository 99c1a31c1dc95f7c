/**
 * The soak's password rotations: a static PostgreSQL role (`reports`) whose username and password
 * live in a Kubernetes-style mounted directory. A rotation is what a rotation job does, the
 * database first (ALTER ROLE), then the mounted secret, swapped the kubelet way (`..data`). A bad
 * update (a key file missing, an empty password) is written and later fixed, as a broken sync
 * would do it. Rotations and bad writes run one at a time: an operator's job does not race itself.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { atomicWriteDir, quoteIdent, quoteLiteral, type PostgresServer } from '@leasehold/testing';

/** The static role the password-rotated pool logs in as. */
export const REPORTS_ROLE = 'reports';

/** How long a rotation keeps trying ALTER ROLE while PostgreSQL is away, and how often. */
const ALTER_RETRY_FOR_MILLIS = 60_000;
const ALTER_RETRY_PAUSE_MILLIS = 250;

/** The kinds of bad update {@link PasswordMount.writeBad} writes. */
export const BAD_MOUNT_KINDS = ['missing-password', 'empty-password'] as const;
export type BadMountKind = (typeof BAD_MOUNT_KINDS)[number];

/** A mounted `username`/`password` directory for the `reports` role, rotated on demand. */
export class PasswordMount {
  readonly dir: string;
  readonly #postgres: PostgresServer;
  #password: string;
  #queue: Promise<unknown> = Promise.resolve();
  /** Passwords changed so far. */
  rotations = 0;

  private constructor(dir: string, postgres: PostgresServer, password: string) {
    this.dir = dir;
    this.#postgres = postgres;
    this.#password = password;
  }

  /** Creates the role (allowed to read and add orders) and writes its first mount under `workDir`. */
  static async create(postgres: PostgresServer, workDir: string): Promise<PasswordMount> {
    const mount = new PasswordMount(join(workDir, 'reports-db'), postgres, newPassword());
    const role = quoteIdent(REPORTS_ROLE);
    await postgres.adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD ${quoteLiteral(mount.#password)}`);
    await postgres.adminQuery(`GRANT SELECT, INSERT ON orders TO ${role}`);
    await postgres.adminQuery(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await mount.#write();
    return mount;
  }

  /** Changes the password in the database, then in the mount. */
  rotate(): Promise<void> {
    return this.#serially(async () => {
      const password = newPassword();
      await this.#alterPassword(password);
      this.#password = password;
      this.rotations += 1;
      await this.#write();
    });
  }

  /** Writes a bad update; `fix()` writes the good one back. Runs after any rotation in progress. */
  writeBad(kind: BadMountKind): Promise<void> {
    return this.#serially(async () => {
      const files = kind === 'missing-password' ? { username: REPORTS_ROLE } : { username: REPORTS_ROLE, password: '' };
      await atomicWriteDir(this.dir, files, { mode: 0o400 });
    });
  }

  /** Writes the current good username and password. */
  fix(): Promise<void> {
    return this.#serially(() => this.#write());
  }

  /** Refuses what {@link writeBad} writes: the Secret keeps its last good value. */
  static validate(value: Record<string, string>): string | undefined {
    if (value['username'] !== REPORTS_ROLE) return 'username is not the reports role';
    if (!value['password']) return 'password is empty or missing';
    return undefined;
  }

  /**
   * ALTER ROLE, tried again as a rotation job does when the database is briefly away (a restart):
   * the same password each time, so a try that succeeded but lost its answer does no harm.
   */
  async #alterPassword(password: string): Promise<void> {
    const deadline = Date.now() + ALTER_RETRY_FOR_MILLIS;
    for (;;) {
      try {
        await this.#postgres.adminQuery(`ALTER ROLE ${quoteIdent(REPORTS_ROLE)} PASSWORD ${quoteLiteral(password)}`);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, ALTER_RETRY_PAUSE_MILLIS));
      }
    }
  }

  async #write(): Promise<void> {
    await atomicWriteDir(this.dir, { username: REPORTS_ROLE, password: this.#password }, { mode: 0o400 });
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function newPassword(): string {
  return randomBytes(18).toString('base64url');
}
