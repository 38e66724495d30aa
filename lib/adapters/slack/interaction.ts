/**
 * Slack's interaction request (a form-encoded `payload` JSON) read into a SlackPress, and the text
 * that tells the channel what came of a press. Pure; the handler wires it to the use case.
 */
import { z } from 'zod';
import type { SlackPress, SlackPressResult } from '../../app/slack-approval.js';
import { ValidationError, issuesToDetails } from '../../domain/validation.js';
import { APPROVE_ACTION, REJECT_ACTION, buttonValueSchema, escapeMrkdwn, gateLabel } from './messages.js';
import type { SlackResponse } from './slack-api.js';

const payloadSchema = z.object({
  type: z.string(),
  user: z.object({ id: z.string().regex(/^[A-Z0-9]{2,32}$/, 'must be a Slack user id'), username: z.string().optional(), name: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).optional(),
  response_url: z.url(),
  message: z.object({ text: z.string().optional(), blocks: z.array(z.unknown()).optional() }).optional(),
});

export type SlackInteraction =
  | { kind: 'press'; press: SlackPress; responseUrl: string; message: { text?: string | undefined; blocks?: unknown[] | undefined } | undefined }
  /** Something we did not post (another app's button, a shortcut): acknowledged and ignored. */
  | { kind: 'ignored'; why: string };

const invalid = (message: string, issues: z.core.$ZodIssue[] = []): never => {
  throw new ValidationError(message, issuesToDetails(issues));
};

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return invalid('The Slack payload is not JSON');
  }
}

export function parseInteraction(rawBody: string): SlackInteraction {
  const payloadText = new URLSearchParams(rawBody).get('payload');
  if (payloadText === null) return invalid('The body has no "payload" field');
  const parsed = payloadSchema.safeParse(parseJson(payloadText));
  if (!parsed.success) return invalid('The Slack payload is invalid', parsed.error.issues);
  const payload = parsed.data;
  const action = payload.actions?.[0];
  if (payload.type !== 'block_actions' || !action) return { kind: 'ignored', why: `interaction type ${payload.type}` };
  const kind = action.action_id === APPROVE_ACTION ? 'approve' : action.action_id === REJECT_ACTION ? 'reject' : undefined;
  if (!kind) return { kind: 'ignored', why: `action ${action.action_id}` };
  const value = buttonValueSchema.safeParse(parseJson(action.value ?? ''));
  if (!value.success) return invalid('The button value is invalid', value.error.issues);
  const name = payload.user.username ?? payload.user.name ?? payload.user.id;
  return {
    kind: 'press',
    press: { kind, rolloutId: value.data.rolloutId, gate: value.data.gate, user: { id: payload.user.id, name } },
    responseUrl: payload.response_url,
    message: payload.message,
  };
}

/** "<@U123>" for a Slack actor (shown as a mention), the plain id for anyone else. */
const mention = (actorId: string): string => {
  const slackUser = /^slack:([A-Z0-9]+)\b/.exec(actorId)?.[1];
  return slackUser ? `<@${slackUser}>` : escapeMrkdwn(actorId);
};

/**
 * What the presser sees: the original message updated with the outcome (buttons gone), or, when the
 * user may not decide, a note only they see while the message stays as it was.
 */
export function outcomeText(press: SlackPress, result: SlackPressResult): { text: string; ephemeral: boolean } {
  if (result.kind === 'refused') {
    return { text: `:warning: ${escapeMrkdwn(result.message)}`, ephemeral: result.reason === 'not-allowed' };
  }
  const label = gateLabel(result.rollout, press.gate);
  const d = result.decision;
  if (!d) return { text: `:warning: ${escapeMrkdwn(label)}: ${escapeMrkdwn(result.rollout.message)}`, ephemeral: false };
  const verb = d.decision === 'approved' ? ':white_check_mark: Approved' : ':x: Rejected';
  const tail = d.decision === 'rejected' ? ' — rolling back' : '';
  const already = result.alreadyDone ? ' (already decided; this press changed nothing)' : '';
  return { text: `${verb} by ${mention(d.actor.id)} at ${d.at}: ${escapeMrkdwn(label)}${tail}${already}`, ephemeral: false };
}

export function ephemeral(text: string): SlackResponse {
  return { response_type: 'ephemeral', replace_original: false, text };
}
