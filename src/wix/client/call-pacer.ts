// Paces one process's Wix calls with a small token bucket that starts with one token, not full: any window of W ms
// holds at most W * rate + CATCH_UP of them (W * rate + 1 from the first call), however the server dispatched them.
// Waiting calls go by priority (lower first, as Temporal's), so a burst the server handed over cannot put acceptance
// checks ahead of the sends dispatched just after them.

/** Tokens the bucket can hold: enough to make up for a timer that fired a little late, never a real burst. */
const CATCH_UP = 3;
/** Temporal's default priority key: what a call made outside a prioritised activity gets. */
export const DEFAULT_PRIORITY = 3;

interface Waiter {
  priority: number;
  seq: number;
  resolve: () => void;
}

export class CallPacer {
  private readonly perMs: number;
  private tokens = 1;
  private refilledAt: number;
  private seq = 0;
  private readonly waiting: Waiter[] = [];
  private pumping = false;

  constructor(
    callsPerSecond: number,
    /** A longer wait is refused rather than taken: the activity's start-to-close timeout would run out. */
    private readonly maxWaitMs = 20_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!(callsPerSecond > 0)) throw new Error(`CallPacer needs a positive rate, got ${callsPerSecond}`);
    this.perMs = callsPerSecond / 1000;
    this.refilledAt = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(CATCH_UP, this.tokens + (now - this.refilledAt) * this.perMs);
    this.refilledAt = now;
  }

  /**
   * Waits for this call's turn; or, when the queue ahead is longer than `maxWaitMs`, takes no turn and answers how
   * long until one would come.
   */
  take(priority = DEFAULT_PRIORITY): Promise<{ refusedForMs?: number }> {
    this.refill();
    const ahead = this.waiting.filter((w) => w.priority <= priority).length;
    const aheadMs = Math.max(0, ahead + 1 - this.tokens) / this.perMs;
    if (aheadMs > this.maxWaitMs) return Promise.resolve({ refusedForMs: aheadMs });
    return new Promise<{ refusedForMs?: number }>((resolve) => {
      const waiter = { priority, seq: this.seq++, resolve: () => resolve({}) };
      const at = this.waiting.findIndex((w) => w.priority > priority);
      this.waiting.splice(at === -1 ? this.waiting.length : at, 0, waiter);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0) {
        this.refill();
        while (this.tokens < 1) {
          await new Promise((resolve) => setTimeout(resolve, (1 - this.tokens) / this.perMs));
          this.refill();
        }
        this.tokens -= 1;
        this.waiting.shift()!.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }
}
