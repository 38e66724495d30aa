import type { AuditEventDraft } from './commands.js';
import { isItemInFlight, isReleaseTerminal, type ReleaseStatus } from './release.js';
import type { Actor } from './state.js';

export const RELEASE_ACTIONS = ['pause', 'resume', 'cancel', 'approve'] as const;
export type ReleaseActionKind = (typeof RELEASE_ACTIONS)[number];

export interface ReleaseActionRequest {
  kind: ReleaseActionKind;
  actor: Actor;
  comment?: string;
  /** For approve: the wave to approve; default the one waiting (or the next that will ask). */
  wave?: string;
}

export interface ReleaseActionResult {
  status: ReleaseStatus;
  event?: AuditEventDraft;
  /** True when the request had already been applied (a double click): nothing changes. */
  alreadyDone: boolean;
  /** Rollouts to abort (cancel stops what is running, rolling it back). */
  abort: string[];
}

/** A request that makes no sense in the release's phase; the API answers 409 with this message. */
export class ReleaseActionConflict extends Error {
  override readonly name = 'ReleaseActionConflict';
}

/** Applies a person's action to a release (pure). The scheduler pass that follows does the rest. */
export function applyReleaseAction(status: ReleaseStatus, request: ReleaseActionRequest, now: Date): ReleaseActionResult {
  const at = now.toISOString();
  const note = request.comment ? ` (${request.comment})` : '';
  const event = (type: string, message: string, data?: Record<string, unknown>): AuditEventDraft =>
    ({ type, at, actor: request.actor, message, ...(data || request.comment ? { data: { ...data, ...(request.comment ? { comment: request.comment } : {}) } } : {}) });
  const unchanged = (): ReleaseActionResult => ({ status, alreadyDone: true, abort: [] });
  if (isReleaseTerminal(status.phase)) {
    if (request.kind === 'cancel' && status.phase === 'Cancelled') return unchanged();
    throw new ReleaseActionConflict(`Release ${status.id} is ${status.phase}; it can no longer be ${pastTense(request.kind)}`);
  }
  switch (request.kind) {
    case 'pause': {
      if (status.phase === 'Paused') return unchanged();
      if (status.phase === 'Halting') throw new ReleaseActionConflict('The release is halting after a failure; there is nothing left to pause');
      const next = { ...status, phase: 'Paused' as const, pausedFrom: status.phase, message: `Paused by ${request.actor.id}${note}` };
      return { status: next, event: event('ReleasePaused', `Paused by ${request.actor.id}: no new rollouts start, running ones finish${note}`), alreadyDone: false, abort: [] };
    }
    case 'resume': {
      if (status.phase !== 'Paused') return unchanged();
      const { pausedFrom, ...rest } = status;
      const next = { ...rest, phase: pausedFrom ?? 'Running', message: `Resumed by ${request.actor.id}${note}` };
      return { status: next, event: event('ReleaseResumed', `Resumed by ${request.actor.id}${note}`), alreadyDone: false, abort: [] };
    }
    case 'cancel': {
      const abort = status.items.filter((i) => isItemInFlight(i.phase)).map((i) => i.rolloutId);
      const why = `cancelled by ${request.actor.id}${note}`;
      const next: ReleaseStatus = {
        ...status,
        phase: 'Cancelled',
        message: `Cancelled by ${request.actor.id}${note}`,
        waves: status.waves.map((w) => (w.phase === 'Completed' || w.phase === 'Failed' ? w : { ...w, phase: 'Cancelled' as const })),
        items: status.items.map((i) => (i.phase === 'Pending' ? { ...i, phase: 'Cancelled' as const, reason: `not started: the release was ${why}` } : i)),
      };
      return { status: next, event: event('ReleaseCancelled', `Release ${why}; ${abort.length} running rollout(s) are aborted`, { aborted: abort }), alreadyDone: false, abort };
    }
    case 'approve':
      return approveWave(status, request, event, at);
  }
}

function approveWave(status: ReleaseStatus, request: ReleaseActionRequest, event: (type: string, message: string, data?: Record<string, unknown>) => AuditEventDraft, at: string): ReleaseActionResult {
  const index = request.wave !== undefined
    ? status.waves.findIndex((w) => w.name === request.wave)
    : status.waves.findIndex((w) => w.phase === 'AwaitingApproval');
  if (index < 0) {
    throw new ReleaseActionConflict(request.wave !== undefined
      ? `Release ${status.id} has no wave named "${request.wave}"; its waves are ${status.waves.map((w) => w.name).join(', ')}`
      : `No wave of release ${status.id} is waiting for an approval`);
  }
  const wave = status.waves[index]!;
  if (wave.approvedBy) return { status, alreadyDone: true, abort: [] };
  if (wave.phase !== 'Pending' && wave.phase !== 'AwaitingApproval') {
    throw new ReleaseActionConflict(`Wave ${wave.name} is ${wave.phase}; only a wave that has not started can be approved`);
  }
  const waves = status.waves.map((w, i) => (i === index
    ? { ...w, phase: 'Pending' as const, approvedBy: request.actor, approvedAt: at }
    : w));
  return {
    status: { ...status, waves },
    event: event('WaveApproved', `Wave ${wave.name} approved by ${request.actor.id}`, { wave: wave.name }),
    alreadyDone: false,
    abort: [],
  };
}

const pastTense = (kind: ReleaseActionKind): string => ({ pause: 'paused', resume: 'resumed', cancel: 'cancelled', approve: 'approved' })[kind];
