import type { Clock } from '../../lib/ports/clock.js';
import type { TickMessage, TickQueue } from '../../lib/ports/tick-queue.js';

/**
 * Test time that runs `factor` times faster than the wall clock, so the real example documents
 * (5 and 10 minute pauses) finish in seconds. The queue decorator divides delays by the same factor
 * before they reach the real SQS emulator; everything else runs unchanged.
 */
export class WarpedClock implements Clock {
  private readonly realStart = Date.now();
  constructor(readonly factor: number, private readonly simStart = Date.now()) {}

  now(): Date {
    return new Date(this.simStart + (Date.now() - this.realStart) * this.factor);
  }
}

export class WarpedQueue implements TickQueue {
  readonly sent: Array<{ message: TickMessage; delaySeconds: number }> = [];
  constructor(private readonly inner: TickQueue, private readonly factor: number) {}

  async schedule(message: TickMessage, delaySeconds: number): Promise<void> {
    this.sent.push({ message, delaySeconds });
    // Rounded up: a warped second early is many simulated seconds early, beyond the tick's tolerance.
    await this.inner.schedule(message, Math.ceil(delaySeconds / this.factor));
  }
}
