import { describe, expect, it } from 'vitest';
import { outcomeText, parseInteraction } from '../../lib/adapters/slack/interaction.js';
import { APPROVE_ACTION, approvalRequestMessage, outcomeMessage } from '../../lib/adapters/slack/messages.js';
import { SlackApprovalNotifier } from '../../lib/adapters/slack/slack-approval-notifier.js';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { answerSlackPress, type SlackPress } from '../../lib/app/slack-approval.js';
import type { AuditEventDraft } from '../../lib/domain/commands.js';
import { ValidationError } from '../../lib/domain/validation.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { T0, documentWith, stateFrom } from '../support/fixtures.js';

const slackSpec = (slack: Record<string, unknown> = { channel: '#deploys' }) =>
  documentWith({ strategy: { type: 'Manual', steps: [{ weight: 10, pause: '0s' }, { weight: 50, pause: '0s' }, { weight: 100, pause: '0s' }] }, approvals: { slack } });
const waiting = (gate: number, slack?: Record<string, unknown>): RolloutState =>
  stateFrom(slackSpec(slack), { phase: 'Paused', stepIndex: gate - 1, canaryWeight: gate === 0 ? 0 : 10, pause: { reason: 'AwaitingApproval', since: T0.toISOString(), message: 'waiting', gate } });

/** Just enough of the dependencies for actOnRollout: one rollout in memory, versions checked. */
function memoryDeps(initial: RolloutState) {
  let current = initial;
  const saved: AuditEventDraft[] = [];
  const deps = {
    store: {
      get: async () => current,
      save: async (next: RolloutState, expected: number, events: AuditEventDraft[]) => {
        if (expected !== current.version) throw new Error('version moved');
        saved.push(...events);
        current = next;
        return next;
      },
    },
    queue: { schedule: async () => undefined },
    notifier: { notify: async () => undefined },
    clock: { now: () => T0 },
  } as unknown as Dependencies;
  return { deps, saved, current: () => current };
}

const press = (kind: 'approve' | 'reject', gate: number | 'promotion', user = 'U123'): SlackPress => ({ kind, rolloutId: 'ro_test', gate, user: { id: user, name: 'ana' } });
const noGroups = { usergroupMembers: async (): Promise<string[]> => [] };

describe('answering a Slack button press', () => {
  it('approves the gate as the Slack user, and a second press changes nothing', async () => {
    const { deps, saved, current } = memoryDeps(waiting(1));
    const first = await answerSlackPress(deps, noGroups, press('approve', 1));
    const second = await answerSlackPress(deps, noGroups, press('approve', 1));
    expect(first).toMatchObject({ kind: 'applied', alreadyDone: false, decision: { decision: 'approved', actor: { id: 'slack:U123 (ana)', via: 'slack' } } });
    expect(second).toMatchObject({ kind: 'applied', alreadyDone: true });
    expect(saved.filter((e) => e.type === 'Approved')).toHaveLength(1);
    expect(current().phase).toBe('Progressing');
    expect(outcomeText(press('approve', 1), first).text).toMatch(/^:white_check_mark: Approved by <@U123> at 2026-11-26T12:00:00.000Z: step 2\/3 at 50%$/);
    expect(outcomeText(press('approve', 1), second).text).toMatch(/already decided/);
  });

  it('explains a stale button or approve-after-reject as a conflict and changes nothing', async () => {
    const { deps, current } = memoryDeps(waiting(1));
    expect(await answerSlackPress(deps, noGroups, press('approve', 0))).toMatchObject({ kind: 'refused', reason: 'conflict', message: expect.stringMatching(/step 1\/3 is not waiting for approval/) });
    await answerSlackPress(deps, noGroups, press('reject', 1));
    const late = await answerSlackPress(deps, noGroups, press('approve', 1));
    expect(late).toMatchObject({ kind: 'refused', reason: 'conflict', message: expect.stringMatching(/rejected by slack:U123/) });
    expect(outcomeText(press('approve', 1), late)).toMatchObject({ ephemeral: false });
    expect(current().phase).toBe('RollingBack');
  });

  it('lets only listed users and group members decide when the spec names them', async () => {
    const spec = { channel: '#deploys', allowedUsers: ['UBOSS'], allowedGroups: ['SOPS', 'SBROKEN'] };
    const groups = { usergroupMembers: async (g: string) => (g === 'SOPS' ? ['UOPS'] : Promise.reject(new Error('no_such_subteam'))) };
    const { deps, saved } = memoryDeps(waiting(0, spec));
    const refused = await answerSlackPress(deps, groups, press('approve', 0, 'UINTRUDER'));
    expect(refused).toMatchObject({ kind: 'refused', reason: 'not-allowed' });
    expect(outcomeText(press('approve', 0), refused).ephemeral).toBe(true);
    expect(saved).toEqual([]);
    expect(await answerSlackPress(deps, groups, press('approve', 0, 'UOPS'))).toMatchObject({ kind: 'applied', alreadyDone: false });
    const other = memoryDeps(waiting(0, spec));
    expect(await answerSlackPress(other.deps, groups, press('reject', 0, 'UBOSS'))).toMatchObject({ kind: 'applied', decision: { decision: 'rejected' } });
  });
});

describe('Slack messages', () => {
  it('asks with the rollout, target, image, gate, weight, score and two buttons carrying {rolloutId, gate}', () => {
    const { text, blocks } = approvalRequestMessage(waiting(1), 1);
    const all = JSON.stringify(blocks);
    expect(text).toContain('step 2/3 at 50%');
    for (const part of ['myapp', 'default/production/myapp', 'myapp:v2.0.0', '*Canary weight*\\n10%', '*Health score*']) expect(all).toContain(part);
    const actions = blocks.find((b) => (b as { type: string }).type === 'actions') as { elements: Array<{ action_id: string; style: string; value: string }> };
    expect(actions.elements.map((e) => [e.action_id, e.style])).toEqual([['codedance_approve', 'primary'], ['codedance_reject', 'danger']]);
    expect(JSON.parse(actions.elements[0]!.value)).toEqual({ rolloutId: 'ro_test', gate: 1 });
  });

  it('replaces the buttons with the outcome', () => {
    const original = approvalRequestMessage(waiting(1), 1);
    const updated = outcomeMessage(original, 'Approved by <@U1>');
    expect(updated.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(JSON.stringify(updated.blocks.at(-1))).toContain('Approved by <@U1>');
  });

  it('reads a block_actions payload into a press, and ignores what is not ours', () => {
    const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const base = { type: 'block_actions', user: { id: 'U9', username: 'bo' }, response_url: 'https://hooks.slack.com/actions/1' };
    const parsed = parseInteraction(form({ ...base, actions: [{ action_id: APPROVE_ACTION, value: '{"rolloutId":"ro_1","gate":"promotion"}' }] }));
    expect(parsed).toMatchObject({ kind: 'press', press: { kind: 'approve', rolloutId: 'ro_1', gate: 'promotion', user: { id: 'U9', name: 'bo' } } });
    expect(parseInteraction(form({ ...base, actions: [{ action_id: 'other_app', value: 'x' }] }))).toMatchObject({ kind: 'ignored' });
    expect(parseInteraction(form({ ...base, type: 'view_submission' }))).toMatchObject({ kind: 'ignored' });
    expect(() => parseInteraction('payload=%7Bnot-json')).toThrow(ValidationError);
    expect(() => parseInteraction(form({ ...base, user: { id: 'not a user id' }, actions: [] }))).toThrow(ValidationError);
    expect(() => parseInteraction(form({ ...base, actions: [{ action_id: APPROVE_ACTION, value: '{"rolloutId":"../x","gate":1}' }] }))).toThrow(ValidationError);
  });
});

describe('the Slack approval notifier', () => {
  const requested = (gate: number): AuditEventDraft => ({ type: 'ApprovalRequested', at: T0.toISOString(), actor: { id: 'engine', via: 'engine' }, message: 'wait', data: { gate } });

  it('posts one request per opened gate to the spec\'s channel and passes every event on', async () => {
    const posted: Array<{ channel: string; text: string }> = [];
    const passed: AuditEventDraft[][] = [];
    const notifier = new SlackApprovalNotifier({ postMessage: async (channel, text) => { posted.push({ channel, text }); return { channel, ts: '1.1' }; } }, { notify: async (_s, e) => { passed.push(e); } });
    await notifier.notify(waiting(1), [requested(1), { ...requested(1), type: 'StepAdvanced' }]);
    expect(posted).toEqual([{ channel: '#deploys', text: expect.stringContaining('step 2/3 at 50%') }]);
    expect(passed).toHaveLength(1);
  });

  it('never throws: a Slack fault or a rollout without approvals.slack posts nothing and fails nothing', async () => {
    const failing = new SlackApprovalNotifier({ postMessage: async () => { throw new Error('channel_not_found'); } }, { notify: async () => { throw new Error('down'); } });
    await expect(failing.notify(waiting(1), [requested(1)])).resolves.toBeUndefined();
    let calls = 0;
    const quiet = new SlackApprovalNotifier({ postMessage: async () => { calls++; return { channel: 'c', ts: '1' }; } });
    await quiet.notify(stateFrom(documentWith({})), [requested(0)]);
    expect(calls).toBe(0);
  });
});
