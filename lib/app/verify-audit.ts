import { verifyChain, type ChainVerdict } from '../domain/audit-chain.js';
import type { Dependencies } from './dependencies.js';
import { getRollout } from './query-rollouts.js';

/**
 * Checks a rollout's audit trail: every event links to the one before by hash (an edit or a gap breaks
 * the chain), and the chain ends where the rollout's own record says it does, so even a deleted *last*
 * event is caught. Throws NotFoundError for an unknown rollout.
 */
export async function verifyRolloutAudit(deps: Pick<Dependencies, 'store' | 'audit'>, id: string): Promise<ChainVerdict> {
  // State first, then events: a save writes both in one transaction, so a save landing between the
  // two reads can only add events; re-reading the state then tells a race from an injected event.
  const before = await getRollout(deps, id);
  const events = await deps.audit.events(id);
  const verdict = verifyChain(events);
  if (!verdict.valid) return verdict;
  const head = verdict.count > before.auditHead.count ? (await getRollout(deps, id)).auditHead : before.auditHead;
  if (verdict.count < head.count) {
    return { valid: false, position: verdict.count + 1, problem: `event ${verdict.count + 1} is missing: the rollout records ${head.count} events, ${verdict.count} are stored` };
  }
  if (verdict.count > head.count) {
    return { valid: false, position: head.count + 1, problem: `event ${head.count + 1} was added after the rollout's last recorded event (${head.count})` };
  }
  const last = events.at(-1);
  if (last && last.hash !== head.hash) {
    return { valid: false, position: last.position, problem: 'the last event does not match the hash the rollout records' };
  }
  return verdict;
}
