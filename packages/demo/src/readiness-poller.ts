/**
 * Polls the service's /readyz throughout the run, as a Kubernetes readiness probe would, and
 * counts the answers: readiness "during the run" means every probe, not one request after the
 * load stopped.
 */

/** How often /readyz is asked; kubelet's minimum periodSeconds is 1 s, this is twice as often. */
export const READINESS_PERIOD_MILLIS = 500;

export class ReadinessPoller {
  ok = 0;
  failed = 0;
  /** Non-200 answers (and failed requests) by status or error code. */
  readonly failures = new Map<string, number>();
  readonly #url: string;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(url: string) {
    this.#url = url;
  }

  /** Starts polling; the first probe goes out at once. */
  start(): void {
    this.#probe();
  }

  /** Stops polling and waits for the probe in flight. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  /** `polled 32 times: 32 ok, 0 failed` with the failure statuses, if any. */
  describe(): string {
    const codes = [...this.failures].map(([code, count]) => `${code} x${count}`).join(', ');
    return `polled ${this.ok + this.failed} times: ${this.ok} ok, ${this.failed} failed${codes ? ` (${codes})` : ''}`;
  }

  #probe(): void {
    if (this.#stopped) return;
    this.#inFlight = (async () => {
      try {
        const response = await fetch(this.#url, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status === 200) this.ok++;
        else this.#fail(String(response.status));
      } catch (error) {
        this.#fail((error as { name?: string }).name ?? 'error');
      }
      if (this.#stopped) return;
      this.#timer = setTimeout(() => this.#probe(), READINESS_PERIOD_MILLIS);
    })();
  }

  #fail(key: string): void {
    this.failed++;
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }
}
