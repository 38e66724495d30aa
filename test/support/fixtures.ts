import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { GENESIS_HASH } from '../../lib/domain/audit-chain.js';
import type { AnalysisOutcome } from '../../lib/domain/analysis.js';
import type { Observation } from '../../lib/domain/commands.js';
import { parseCanaryDeployment } from '../../lib/domain/spec.js';
import type { RolloutState } from '../../lib/domain/state.js';

export const T0 = new Date('2026-11-26T12:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

export function exampleDocument(name: 'myapp' | 'order-service'): Record<string, unknown> {
  return parse(readFileSync(new URL(`../../examples/${name}.yaml`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** A document built from myapp.yaml with `spec` fields replaced. */
export function documentWith(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  const base = exampleDocument('myapp');
  return { ...base, metadata: { ...(base.metadata as object), ...metadata }, spec: { ...(base.spec as object), ...spec } };
}

export function stateFrom(document: unknown, patch: Partial<RolloutState> = {}): RolloutState {
  const { spec, document: doc } = parseCanaryDeployment(document);
  const now = T0.toISOString();
  return {
    id: 'ro_test', version: 1, tickSeq: 0, phase: 'Initializing', stepIndex: -1, canaryWeight: 0,
    phaseSince: now, nextTickAt: now, analysis: { failures: 0, consecutiveInconclusive: 0 }, approvals: [],
    message: '', createdAt: now, updatedAt: now, createdBy: { id: 'tester', via: 'api' },
    auditHead: { count: 0, hash: GENESIS_HASH }, spec, document: doc, ...patch,
  };
}

export function observe(patch: Partial<Observation> = {}): Observation {
  // A running canary as the real adapter reports it: two replicas like the target, stable narrowed.
  return {
    canary: { exists: true, available: true, replicas: 2 },
    stable: { exists: true, image: 'myapp:v1', available: true, replicas: 2, templateHash: 't1' },
    weight: 0, stableNarrowed: true, ...patch,
  };
}

export const outcome = (verdict: AnalysisOutcome['verdict'], score: number | null = verdict === 'pass' ? 100 : 50): AnalysisOutcome => ({
  verdict, score, metrics: [], reason: `${verdict} for test`,
});
