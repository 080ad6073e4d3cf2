/** The clock port: every time-dependent decision takes one, so tests can control time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A monotonic high-resolution reading in milliseconds, for durations. */
  monotonic(): number;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  monotonic: () => performance.now(),
});

/** A clock that only moves when told to (tests, replay). */
export class ManualClock implements Clock {
  #now: number;
  #mono = 0;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#mono;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance() takes a non-negative number of ms');
    this.#now += ms;
    this.#mono += ms;
  }
  set(epochMs: number): void {
    this.#now = epochMs;
  }
}
