import type { Clock } from '../ports/clock.js';
import type { ClusterRegistry } from '../ports/cluster.js';
import type { MetricsSource } from '../ports/metrics-source.js';
import type { Notifier } from '../ports/notifier.js';
import type { AuditLog, RolloutStore } from '../ports/rollout-store.js';
import type { GateHookCaller } from '../ports/gate-hooks.js';
import type { StatusMirror } from '../ports/status-mirror.js';
import type { TickQueue } from '../ports/tick-queue.js';

/** Everything the use cases need, built once by functions/wiring.ts (or by a test). */
export interface Dependencies {
  store: RolloutStore;
  audit: AuditLog;
  queue: TickQueue;
  clusters: ClusterRegistry;
  metrics: MetricsSource;
  notifier: Notifier;
  /** Calls the spec's outbound gate hooks; without it, hooks count as not answering. */
  gateHooks?: GateHookCaller;
  /** Optional: mirrors progress into the CanaryDeployment object's status. */
  statusMirror?: StatusMirror;
  clock: Clock;
  /** New rollout ids; injectable so tests can name rollouts. */
  newId: () => string;
  /** Test-only fault hooks (a crash at a named point of a tick); never set in production wiring. */
  faults?: { before?: (point: FaultPoint) => void };
}

export type FaultPoint = 'after-effects' | 'after-save' | 'after-enqueue';
