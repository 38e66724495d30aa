import type { Approval, RolloutState } from '../domain/state.js';
import { actOnRollout } from './act-on-rollout.js';
import type { Dependencies } from './dependencies.js';
import { AppError } from './errors.js';
import { log } from '../log.js';

/** Who belongs to a Slack user group (usergroups.users.list). */
export interface SlackUserGroups {
  usergroupMembers(groupId: string): Promise<string[]>;
}

/** One press of an Approve or Reject button, after the request signature was verified. */
export interface SlackPress {
  kind: 'approve' | 'reject';
  rolloutId: string;
  /** The gate the button was posted for: 0-based step index or `promotion`. */
  gate: number | 'promotion';
  user: { id: string; name: string };
}

export type SlackPressResult =
  /** The decision is recorded (or was already, by an earlier press: `previous`). */
  | { kind: 'applied'; rollout: RolloutState; alreadyDone: boolean; decision: Approval | undefined }
  /** Nothing changed; `message` says why (not allowed, unknown rollout, 409 conflict). */
  | { kind: 'refused'; reason: 'not-allowed' | 'not-found' | 'conflict'; message: string };

/**
 * Answers a Slack button press. When the spec lists allowed users or groups, only those may decide:
 * a user id listed in `allowedUsers`, or a member of a group in `allowedGroups` as Slack reports it
 * now (fail closed when Slack cannot say). The decision then goes through the same use case as
 * the HTTP API, with the gate the button was posted for, so a stale button gets the 409 explanation.
 */
export async function answerSlackPress(deps: Dependencies, groups: SlackUserGroups, press: SlackPress): Promise<SlackPressResult> {
  const rollout = await deps.store.get(press.rolloutId);
  if (!rollout) return { kind: 'refused', reason: 'not-found', message: `Rollout ${press.rolloutId} was not found` };
  const allowed = await mayDecide(rollout, groups, press.user.id);
  if (allowed !== true) return { kind: 'refused', reason: 'not-allowed', message: allowed };
  const actor = { id: `slack:${press.user.id} (${press.user.name})`, via: 'slack' as const };
  try {
    const outcome = await actOnRollout(deps, press.rolloutId, { kind: press.kind, actor, step: press.gate === 'promotion' ? 'promotion' : press.gate + 1 });
    const decision = outcome.rollout.approvals.findLast((a) => a.gate === press.gate);
    return { kind: 'applied', rollout: outcome.rollout, alreadyDone: outcome.alreadyDone, decision };
  } catch (error) {
    if (error instanceof AppError && error.status === 409) return { kind: 'refused', reason: 'conflict', message: error.message };
    throw error;
  }
}

/** True, or the reason the user may not decide (shown to that user only). */
async function mayDecide(rollout: RolloutState, groups: SlackUserGroups, userId: string): Promise<true | string> {
  const slack = rollout.spec.approvalSlack;
  // Buttons are only posted for rollouts with approvals.slack; a press for any other is not ours to accept.
  if (!slack) return `Rollout ${rollout.spec.name} does not take approvals from Slack`;
  if (slack.allowedUsers.length === 0 && slack.allowedGroups.length === 0) return true;
  if (slack.allowedUsers.includes(userId)) return true;
  for (const group of slack.allowedGroups) {
    try {
      if ((await groups.usergroupMembers(group)).includes(userId)) return true;
    } catch (error) {
      log.warn('slack user group lookup failed', { rolloutId: rollout.id, group, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return `You are not allowed to approve or reject ${rollout.spec.name}: only the users and groups listed in its approvals.slack may`;
}
