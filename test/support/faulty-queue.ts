import type { TickMessage, TickQueue } from '../../lib/ports/tick-queue.js';

/** Sends every scheduled message `copies` times: SQS's at-least-once delivery at its worst. */
export class DuplicatingQueue implements TickQueue {
  constructor(private readonly inner: TickQueue, private readonly copies = 3) {}

  async schedule(message: TickMessage, delaySeconds: number): Promise<void> {
    for (let i = 0; i < this.copies; i++) await this.inner.schedule(message, delaySeconds);
  }
}

/** A small seeded PRNG (mulberry32), so a shuffled run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Holds every scheduled message and lets it through late and out of order: each one waits an extra
 * random time (up to `maxLateMs`), held messages are released in shuffled batches, and some are sent
 * a second time much later, after the rollout has moved past them (a stale copy arriving last).
 * `clear()` ends the fault: what is held goes out at once and later messages pass straight through.
 */
export class LateShufflingQueue implements TickQueue {
  private held: Array<{ message: TickMessage; delaySeconds: number; releaseAt: number }> = [];
  private readonly timer: NodeJS.Timeout;
  private faulty = true;
  private pending: Promise<unknown>[] = [];
  private readonly random: () => number;
  delivered = 0;
  lateCopies = 0;

  constructor(private readonly inner: TickQueue, private readonly options: { maxLateMs: number; staleCopyShare: number; seed: number }) {
    this.random = seededRandom(options.seed);
    this.timer = setInterval(() => this.release(false), 100);
  }

  async schedule(message: TickMessage, delaySeconds: number): Promise<void> {
    if (!this.faulty) return this.inner.schedule(message, delaySeconds);
    const now = Date.now();
    this.held.push({ message, delaySeconds, releaseAt: now + this.random() * this.options.maxLateMs });
    if (this.random() < this.options.staleCopyShare) {
      this.lateCopies++;
      this.held.push({ message, delaySeconds, releaseAt: now + this.options.maxLateMs * (1 + this.random()) });
    }
  }

  /** The fault clears: everything held is sent now, in shuffled order, and the queue stops interfering. */
  async clear(): Promise<void> {
    this.faulty = false;
    clearInterval(this.timer);
    this.release(true);
    await Promise.all(this.pending);
  }

  private release(all: boolean): void {
    const now = Date.now();
    const due = this.held.filter((h) => all || h.releaseAt <= now);
    this.held = this.held.filter((h) => !due.includes(h));
    // Fisher-Yates: the order SQS hands them over has nothing to do with the order they were sent.
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const h of due) {
      this.delivered++;
      this.pending.push(this.inner.schedule(h.message, h.delaySeconds));
    }
  }
}
