/**
 * What the demo shows while it runs, whatever draws it: a live terminal view (live-view.ts) or
 * plain lines when stdout is not a terminal (plain-view.ts).
 */
import type { HealthState } from '@leasehold/core';
import type { LoadCounter } from './load-counter.js';
import type { ReadinessPoller } from './readiness-poller.js';

/** One credential (or the pool built on one) as the view shows it. */
export interface CredentialRow {
  readonly name: string;
  readonly state: HealthState;
  readonly version: number | undefined;
  readonly secondsLeft: number | undefined;
  /** Replacements adopted (the first value is not one). */
  readonly rotations: number;
  readonly renewals: number;
  /** Renewals Vault granted shorter than asked: capped by the lease's max TTL. */
  readonly capped: number;
}

/** The run at one moment. */
export interface DemoStatus {
  /** Time since the demo started (events are stamped with it). */
  readonly sinceStartMillis: number;
  /** Time the load has run. */
  readonly elapsedMillis: number;
  readonly totalMillis: number;
  readonly credentials: readonly CredentialRow[];
  readonly queries: LoadCounter;
  readonly s3Calls: LoadCounter;
  readonly readiness: ReadinessPoller;
}

/** Where the demo reports. */
export interface DemoView {
  /** Something happened (a rotation, a renewal, a swap), already time-stamped. */
  event(line: string): void;
  /** The run's state; called several times a second while the load runs. */
  status(status: DemoStatus): void;
  /** Leaves the last picture on screen; later output goes below it. */
  close(): void;
}

/** `db ready v3 4s left` for a line of text. */
export function describeRow(row: CredentialRow): string {
  const version = row.version === undefined ? '' : ` v${row.version}`;
  const left = row.secondsLeft === undefined ? '' : ` ${row.secondsLeft}s left`;
  return `${row.name} ${row.state}${version}${left}`;
}
