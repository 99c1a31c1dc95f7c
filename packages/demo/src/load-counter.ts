/**
 * Counts the outcomes of the demo's requests. Failures are kept by error code (or name), never
 * by message: a driver's message may quote what it choked on.
 */
export class LoadCounter {
  ok = 0;
  failed = 0;
  readonly failures = new Map<string, number>();

  /** Runs `work` and records whether it succeeded. Never rejects. */
  async track(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      this.ok++;
    } catch (error) {
      this.failed++;
      const key = codeOf(error);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    }
  }

  /** `SQL 1234 ok, 0 failed` plus the failure codes, if any. */
  describe(label: string): string {
    const codes = [...this.failures].map(([code, count]) => `${code} x${count}`).join(', ');
    return `${label} ${this.ok} ok, ${this.failed} failed${codes ? ` (${codes})` : ''}`;
  }
}

function codeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'unknown';
}
