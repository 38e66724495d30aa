import { createHash } from 'node:crypto';
import type { AuditEventDraft } from './commands.js';

/**
 * Audit events form a hash chain: each stores the hash of the one before it, so an edited or
 * missing event breaks the chain and `verifyChain` names the first bad position.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEvent extends AuditEventDraft {
  rolloutId: string;
  position: number;
  prevHash: string;
  hash: string;
}

/** Canonical JSON: keys sorted at every depth, so the hash does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashEvent(event: Omit<ChainedEvent, 'hash'>): string {
  return createHash('sha256').update(canonical(event)).digest('hex');
}

/** Links drafts onto the chain starting after `head`. */
export function chainEvents(rolloutId: string, head: { count: number; hash: string }, drafts: AuditEventDraft[]): ChainedEvent[] {
  let prevHash = head.hash;
  return drafts.map((draft, index) => {
    const unhashed = { ...draft, rolloutId, position: head.count + index + 1, prevHash };
    const hash = hashEvent(unhashed);
    prevHash = hash;
    return { ...unhashed, hash };
  });
}

export type ChainVerdict = { valid: true; count: number } | { valid: false; position: number; problem: string };

export function verifyChain(events: ChainedEvent[]): ChainVerdict {
  let prevHash = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const { hash, ...rest } = event;
    if (event.position !== index + 1) return { valid: false, position: index + 1, problem: `event ${index + 1} is missing (found position ${event.position})` };
    if (event.prevHash !== prevHash) return { valid: false, position: event.position, problem: 'does not link to the previous event' };
    if (hashEvent(rest) !== hash) return { valid: false, position: event.position, problem: 'content does not match its hash (edited)' };
    prevHash = hash;
  }
  return { valid: true, count: events.length };
}
