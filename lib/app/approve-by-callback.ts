import type { ActionKind } from '../domain/actions.js';
import type { DeliveryClaims } from './deliver-notification.js';
import type { Dependencies } from './dependencies.js';
import { actOnRollout, type ActionOutcome } from './act-on-rollout.js';
import { ConflictError } from './errors.js';

/** A verified callback token's content (see lib/http/callback-token.ts). */
export interface CallbackDecision {
  rolloutId: string;
  gate: number | 'promotion';
  decision: Extract<ActionKind, 'approve' | 'reject'>;
  nonce: string;
  expiresAt: Date;
}

/**
 * An approval or rejection through a signed callback link. The nonce is claimed once (a conditional
 * write), so a replayed or forwarded link does nothing the second time; then it is the same use case as
 * every other approval, with the gate the link was issued for, so a stale link is caught too.
 */
export async function approveByCallback(deps: Dependencies, claims: DeliveryClaims, input: CallbackDecision): Promise<ActionOutcome> {
  if (!(await claims.claim(`callback:${input.nonce}`, input.expiresAt))) {
    throw new ConflictError('This callback link was already used');
  }
  return actOnRollout(deps, input.rolloutId, {
    kind: input.decision,
    actor: { id: `callback:${input.nonce.slice(0, 8)}`, via: 'webhook' },
    step: input.gate === 'promotion' ? 'promotion' : input.gate + 1,
  });
}
