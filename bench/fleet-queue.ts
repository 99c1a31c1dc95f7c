/**
 * The fleet benchmark's event queue and random source, kept apart from bench/fleet.ts so the
 * simulation reads as the scenario it runs: a min-heap sized for 30,000 leases with one live event
 * each, and a seeded generator so every run of the benchmark simulates the same fleet.
 */

/** Park-Miller: the same run every time. */
export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

/** A binary min-heap of (time, lease, step) with one live event per lease (older ones are skipped by generation). */
export class EventQueue {
  times = new Float64Array(1 << 16);
  payload = new Int32Array(1 << 16);
  size = 0;

  push(time: number, value: number): void {
    if (this.size === this.times.length) {
      const times = new Float64Array(this.size * 2);
      times.set(this.times);
      this.times = times;
      const payload = new Int32Array(this.size * 2);
      payload.set(this.payload);
      this.payload = payload;
    }
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.times[parent]! <= time) break;
      this.times[i] = this.times[parent]!;
      this.payload[i] = this.payload[parent]!;
      i = parent;
    }
    this.times[i] = time;
    this.payload[i] = value;
  }

  /** Removes the earliest event; its time and payload are left in `topTime` / `topValue`. */
  topTime = 0;
  topValue = 0;
  pop(): boolean {
    if (this.size === 0) return false;
    this.topTime = this.times[0]!;
    this.topValue = this.payload[0]!;
    const time = this.times[--this.size]!;
    const value = this.payload[this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && this.times[child + 1]! < this.times[child]!) child++;
      if (this.times[child]! >= time) break;
      this.times[i] = this.times[child]!;
      this.payload[i] = this.payload[child]!;
      i = child;
    }
    this.times[i] = time;
    this.payload[i] = value;
    return true;
  }
}
