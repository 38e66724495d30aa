/**
 * A tick message names the rollout and the `seq` it was scheduled for. `wakeAt` is the due time;
 * when it lies beyond the queue's longest delay the message is a wake-up that re-enqueues itself.
 */
export interface TickMessage {
  rolloutId: string;
  seq: number;
  wakeAt: string;
  /** How many times this tick was put back because the rollout store was throttled or down (see defer-tick.ts). */
  deferrals?: number;
}

/** SQS caps a delay at 900 s; longer waits are chains of wake-ups. */
export const MAX_DELAY_SECONDS = 900;

export interface TickQueue {
  /** Enqueues `message` to arrive no earlier than min(wakeAt, now + MAX_DELAY_SECONDS). */
  schedule(message: TickMessage, delaySeconds: number): Promise<void>;
}
