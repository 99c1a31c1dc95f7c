/**
 * Health facts published on node:diagnostics_channel, so OpenTelemetry instrumentations and
 * APMs can observe rotations without a hook into leasehold. Messages carry names, versions and
 * codes, never values. Channel names are part of the public API; see docs/observability.md.
 */
import { channel } from 'node:diagnostics_channel';

/** The channels leasehold publishes on. */
export const DIAGNOSTICS_CHANNELS = Object.freeze({
  rotated: 'leasehold:secret:rotated',
  renewed: 'leasehold:secret:renewed',
  renewalFailed: 'leasehold:secret:renewalFailed',
  expiring: 'leasehold:secret:expiring',
  expired: 'leasehold:secret:expired',
  error: 'leasehold:secret:error',
  retired: 'leasehold:secret:retired',
  adopted: 'leasehold:consumer:adopted',
} as const);

/** Event names that have a diagnostics channel. */
export type DiagnosticsEvent = keyof typeof DIAGNOSTICS_CHANNELS;

const channels = Object.fromEntries(Object.entries(DIAGNOSTICS_CHANNELS).map(([event, name]) => [event, channel(name)])) as Record<
  DiagnosticsEvent,
  ReturnType<typeof channel>
>;

/** Publishes `message` on the channel of `event` when anyone listens. */
export function publishDiagnostic(event: DiagnosticsEvent, message: () => Record<string, unknown>): void {
  const target = channels[event];
  if (target.hasSubscribers) target.publish(message());
}
