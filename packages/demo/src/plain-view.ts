/**
 * The demo as plain lines, for a log file, a CI job or a pipe: every event as it happens and a
 * status every few seconds. No cursor movement, nothing redrawn.
 */
import { describeRow, type DemoStatus, type DemoView } from './demo-view.js';

/** How often the plain view prints the status. */
export const PLAIN_STATUS_EVERY_MILLIS = 3_000;

export class PlainView implements DemoView {
  readonly #print: (line: string) => void;
  #nextStatusAt = PLAIN_STATUS_EVERY_MILLIS;

  constructor(print: (line: string) => void) {
    this.#print = print;
  }

  event(line: string): void {
    this.#print(line);
  }

  status(status: DemoStatus): void {
    if (status.elapsedMillis < this.#nextStatusAt) return;
    this.#nextStatusAt += PLAIN_STATUS_EVERY_MILLIS;
    const at = `[${(status.sinceStartMillis / 1000).toFixed(1).padStart(5)}s]`;
    this.#print(`${at} status: ${status.credentials.map(describeRow).join(' | ')}`);
    this.#print(
      `${at} load: ${status.queries.describe('SQL')} (${status.queries.describeP99()}); ${status.s3Calls.describe('S3')} (${status.s3Calls.describeP99()}); /readyz ${status.readiness.describe()}`,
    );
  }

  close(): void {
    // Lines are already out.
  }
}
