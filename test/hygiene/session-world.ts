// The Vault integration world (dev server on a ManualClock over the run's real PostgreSQL) with
// an echoing proxy in front of it; both close when the test ends.
import { onTestFinished } from 'vitest';
import { startWorld, type Fixture, type VaultWorld } from '../vault/helpers.js';
import { startEchoProxy, type EchoProxy } from './echo-proxy.js';

export async function openSessionWorld(fixture: Fixture = {}): Promise<{ readonly w: VaultWorld; readonly proxy: EchoProxy }> {
  const w = await startWorld(fixture);
  onTestFinished(() => w.close());
  const proxy = await startEchoProxy(w.server.address);
  onTestFinished(() => proxy.close());
  return { w, proxy };
}
