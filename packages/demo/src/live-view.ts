/**
 * The demo as a live terminal picture, redrawn in place by log-update (sindresorhus/log-update)
 * with a cli-progress bar: the run's progress, each credential's state, version and TTL, its
 * rotations and renewals (capped ones called capped), requests ok/failed with p99 latency, the
 * readiness probes, and the latest events as they happen.
 */
import cliProgress from 'cli-progress';
import { createLogUpdate } from 'log-update';
import type { CredentialRow, DemoStatus, DemoView } from './demo-view.js';

/** Events kept on screen. */
const RECENT_EVENTS = 10;
const BAR_SIZE = 32;
const BAR_OPTIONS = { barsize: BAR_SIZE, barCompleteString: '█'.repeat(BAR_SIZE), barIncompleteString: '░'.repeat(BAR_SIZE), barGlue: '' };

export class LiveView implements DemoView {
  readonly #render: ReturnType<typeof createLogUpdate>;
  readonly #stream: NodeJS.WriteStream;
  readonly #recent: string[] = [];
  #status: DemoStatus | undefined;

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
    this.#render = createLogUpdate(stream);
  }

  event(line: string): void {
    this.#recent.push(line);
    if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
    this.#draw();
  }

  status(status: DemoStatus): void {
    this.#status = status;
    this.#draw();
  }

  close(): void {
    this.#draw();
    this.#render.done();
  }

  #draw(): void {
    // One screen line per line: a wrapped event would push the picture off the top and scroll it.
    const width = Math.max(20, (this.#stream.columns || 100) - 1);
    const fit = (line: string): string => (line.length > width ? `${line.slice(0, width - 1)}…` : line);
    this.#render([...this.#statusLines(), '', 'events', ...this.#recent.map((line) => `  ${line}`)].map(fit).join('\n'));
  }

  #statusLines(): string[] {
    const status = this.#status;
    if (!status) return ['leasehold demo: payments service under live credential rotation', '', 'starting ...'];
    const progress = Math.min(1, status.elapsedMillis / status.totalMillis);
    const bar = cliProgress.Format.BarFormat(progress, BAR_OPTIONS);
    const clock = `${(status.elapsedMillis / 1000).toFixed(1)} s / ${(status.totalMillis / 1000).toFixed(0)} s`;
    return [
      'leasehold demo: payments service under live credential rotation',
      '',
      `run         ${bar} ${String(Math.round(progress * 100)).padStart(3)}%  ${clock}`,
      '',
      'credential   state      version  TTL     rotations  renewals',
      ...status.credentials.map(row),
      '',
      `requests     ${status.queries.describe('SQL')}   ${status.s3Calls.describe('S3')}`,
      `latency      SQL ${status.queries.describeP99()}   S3 ${status.s3Calls.describeP99()}`,
      `readiness    /readyz ${status.readiness.describe()}`,
    ];
  }
}

function row(credential: CredentialRow): string {
  const version = credential.version === undefined ? '-' : `v${credential.version}`;
  const ttl = credential.secondsLeft === undefined ? '-' : `${credential.secondsLeft} s`;
  const renewals =
    credential.renewals === 0 ? '0' : `${credential.renewals}${credential.capped > 0 ? ` (${credential.capped} capped)` : ''}`;
  return `  ${credential.name.padEnd(11)}${credential.state.padEnd(11)}${version.padEnd(9)}${ttl.padEnd(8)}${String(credential.rotations).padEnd(11)}${renewals}`;
}
