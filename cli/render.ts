import { stringify } from 'yaml';
import type { FieldProblem } from '../lib/domain/validation.js';
import { ApiError, CliError } from './errors.js';
import type { Output } from './config.js';
import type { AuditEvent, RolloutView } from './schemas.js';

/**
 * Text for people. Pure functions of the data (and `now`), so every view is unit-tested without a
 * terminal. Plain ASCII only, so logs of CI jobs stay readable whatever their encoding.
 */

/** `[##########----------]  50%`: the canary's share of traffic. */
export function weightBar(weight: number, width = 20): string {
  const clamped = Math.max(0, Math.min(100, weight));
  const filled = Math.round((clamped / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(clamped)).padStart(3)}%`;
}

/** Columns padded to their widest cell; the last column is not padded (no trailing spaces). */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  return all.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  '));
}

/** `42s`, `5m`, `3h`, `2d`: how long ago `iso` was. */
export function age(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

export function healthText(view: RolloutView): string {
  const last = view.analysis.last;
  if (!last) return 'no analysis yet';
  return `${last.score === null ? 'n/a' : Math.round(last.score)} (${last.verdict})`;
}

/** The phase, with why it is paused or failed. */
export function phaseText(view: RolloutView): string {
  if (view.pause) return `${view.phase} (${view.pause.reason})`;
  if (view.failure) return `${view.phase} (${view.failure.reason})`;
  return view.phase;
}

const stepText = (view: RolloutView): string => (view.step.index < 0 ? `0/${view.step.total}` : `${view.step.number}/${view.step.total}`);

export function renderRollout(view: RolloutView, now: Date): string[] {
  const rows: [string, string][] = [
    ['ID', view.id],
    ['Name', `${view.name} (${view.namespace}/${view.targetDeployment} on cluster ${view.cluster})`],
    ['Image', view.canaryImage],
    ['Phase', phaseText(view)],
    ['Step', stepText(view)],
    ['Weight', weightBar(view.canaryWeight)],
    ['Health', healthText(view)],
    ['Message', view.message],
  ];
  if (view.failure) rows.push(['Failure', view.failure.message]);
  if (view.analysis.last) rows.push(['Analysis', `${view.analysis.last.reason} (${age(view.analysis.last.at, now)} ago)`]);
  for (const a of view.approvals) rows.push(['Approval', `${a.gate === 'promotion' ? 'promotion' : `step ${a.gate + 1}`} ${a.decision} by ${a.actor.id}${a.comment ? `: ${a.comment}` : ''}`]);
  if (view.releaseId) rows.push(['Release', view.releaseId]);
  rows.push(['Created', `${view.createdAt} by ${view.createdBy.id} (${age(view.createdAt, now)} ago)`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`);
}

export function renderRolloutList(items: readonly RolloutView[], now: Date): string[] {
  if (items.length === 0) return ['No rollouts match.'];
  return table(['ID', 'NAME', 'NAMESPACE', 'CLUSTER', 'PHASE', 'STEP', 'WEIGHT', 'HEALTH', 'AGE'],
    items.map((v) => [v.id, v.name, v.namespace, v.cluster, phaseText(v), stepText(v), `${v.canaryWeight}%`, v.analysis.last?.score == null ? '-' : String(Math.round(v.analysis.last.score)), age(v.createdAt, now)]));
}

/** The live view of `watch`: a few lines, redrawn in place on a terminal. */
export function rolloutFrame(view: RolloutView): string[] {
  return [
    `${view.id}  ${view.name}  ${view.namespace}/${view.targetDeployment}@${view.cluster}  ${view.canaryImage}`,
    `phase ${phaseText(view)}   step ${stepText(view)}   ${weightBar(view.canaryWeight)}   health ${healthText(view)}`,
    `last: ${view.failure?.message ?? view.message}`,
  ];
}

export function renderEvents(items: readonly AuditEvent[]): string[] {
  if (items.length === 0) return ['No events.'];
  return table(['TIME', 'EVENT', 'BY', 'MESSAGE'], items.map((e) => [e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.type, e.actor ? e.actor.id : '-', e.message]));
}

/** `code (HTTP status): message` then each `path: message`, then an optional hint. */
export function formatError(error: unknown, hint?: string): string[] {
  const details: FieldProblem[] = error instanceof ApiError || error instanceof CliError ? error.details : [];
  const head = error instanceof ApiError
    ? `error: ${error.code}${error.status ? ` (HTTP ${error.status})` : ''}: ${error.message}`
    : `error: ${error instanceof Error ? error.message : String(error)}`;
  return [head, ...details.map((d) => `  ${d.path}: ${d.message}`), ...(hint ? [hint] : [])];
}

/** json and yaml print the API's answer as sent; table prints the lines made for people. */
export function formatOutput(output: Output, raw: unknown, tableLines: () => string[]): string {
  if (output === 'json') return `${JSON.stringify(raw, null, 2)}\n`;
  if (output === 'yaml') return stringify(raw);
  return `${tableLines().join('\n')}\n`;
}
