import type { CanaryObjects } from '../ports/canary-objects.js';
import type { Clock } from '../ports/clock.js';
import type { ClusterRegistry } from '../ports/cluster.js';
import type { MetricsSource } from '../ports/metrics-source.js';
import type { Notifier } from '../ports/notifier.js';
import type { AuditLog, RolloutStore } from '../ports/rollout-store.js';
import type { GateHookCaller } from '../ports/gate-hooks.js';
import type { StatusMirror } from '../ports/status-mirror.js';
import type { TickQueue } from '../ports/tick-queue.js';
import type { ReleaseAuditLog, ReleaseStore } from '../ports/release-store.js';

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
  /** The CanaryDeployment objects of a cluster (the declarative door); absent where no cluster is wired. */
  canaryObjects?: (cluster: string) => CanaryObjects;
  /** Batch releases; absent where releases are not wired (some tests). */
  releases?: ReleaseStore & ReleaseAuditLog;
  clock: Clock;
  /** New rollout ids; injectable so tests can name rollouts. */
  newId: () => string;
  /**
   * Test-only fault hooks: called at each side-effect boundary of a tick so a test can throw there,
   * as a crashed process would. Never set in production wiring, where each call is a no-op.
   */
  faults?: { before?: (point: FaultPoint, tick: { rolloutId: string; seq: number }) => void };
}

/** `after-cluster-write` follows every single cluster command; the others follow each phase of a tick. */
export type FaultPoint = 'after-cluster-write' | 'after-effects' | 'after-save' | 'after-enqueue';
