import { table, age } from './render.js';
import type { ReleaseView } from './schemas.js';

/**
 * Releases for people: the service × cluster matrix is the heart of it, one row per service and one
 * column per cluster, each cell the phase of that rollout (and `-` where the service does not run).
 */
export function renderMatrix(view: ReleaseView): string[] {
  const cell = (service: string, cluster: string): string => {
    const found = view.matrix.find((c) => c.service === service && c.cluster === cluster);
    return found ? found.phase : '-';
  };
  return table(['SERVICE', ...view.clusters], view.services.map((s) => [s, ...view.clusters.map((c) => cell(s, c))]));
}

/** Cells that failed, wait or were cancelled, with the reason the engine gave. */
export function matrixReasons(view: ReleaseView): string[] {
  return view.matrix.filter((c) => c.reason).map((c) => `${c.service}@${c.cluster}: ${c.phase}: ${c.reason}`);
}

export function renderRelease(view: ReleaseView, now: Date): string[] {
  const waves = view.waves.map((w) => `${w.name === view.currentWave ? '>' : ' '} ${w.name}: ${w.phase} (clusters ${w.clusters.join(', ')}; ${w.maxParallel} at a time${w.approval ? '; needs approval' : ''}${w.approvedBy ? `; approved by ${w.approvedBy.id}` : ''})`);
  const reasons = matrixReasons(view);
  return [
    `ID:      ${view.id}`,
    `Name:    ${view.name}`,
    `Phase:   ${view.phase}${view.haltReason ? ` (${view.haltReason})` : ''}`,
    `Message: ${view.message}`,
    `Created: ${view.createdAt} by ${view.createdBy.id} (${age(view.createdAt, now)} ago)`,
    '',
    'Waves:',
    ...waves,
    '',
    ...renderMatrix(view),
    ...(reasons.length ? ['', 'Reasons:', ...reasons.map((r) => `  ${r}`)] : []),
  ];
}

export function renderReleaseList(items: readonly ReleaseView[], now: Date): string[] {
  if (items.length === 0) return ['No releases match.'];
  return table(['ID', 'NAME', 'PHASE', 'WAVE', 'DONE', 'AGE'], items.map((r) => [
    r.id, r.name, r.phase, r.currentWave ?? '-', `${r.matrix.filter((c) => c.phase === 'Completed').length}/${r.matrix.length}`, age(r.createdAt, now),
  ]));
}

/** The live view of `releases watch`. */
export function releaseFrame(view: ReleaseView): string[] {
  const done = view.matrix.filter((c) => c.phase === 'Completed').length;
  return [
    `${view.id}  ${view.name}  phase ${view.phase}  wave ${view.currentWave ?? '-'}  ${done}/${view.matrix.length} rollouts completed`,
    ...renderMatrix(view),
    `last: ${view.haltReason ?? view.message}`,
  ];
}
