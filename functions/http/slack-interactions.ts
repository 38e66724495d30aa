import { parseInteraction, outcomeText, ephemeral } from '../../lib/adapters/slack/interaction.js';
import { outcomeMessage } from '../../lib/adapters/slack/messages.js';
import { answerSlackPress } from '../../lib/app/slack-approval.js';
import { HttpError, type HttpResult } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { rawBody, verifySlackSignature } from '../../lib/http/slack-signature.js';
import { log } from '../../lib/log.js';
import { apiTokens, getDependencies, slackApi, slackSigningSecret } from '../wiring.js';

/** Slack gives up after 3 s; the message update must not hold the answer longer than this. */
const RESPOND_TIMEOUT_MS = 2000;
const ok = (): HttpResult => ({ statusCode: 200, body: '' });

/**
 * POST /slack/interactions: an Approve or Reject button press. No bearer token: Slack signs the
 * request, and the signature over the raw body is verified before anything is read or changed.
 * The outcome (or the 409 explanation) replaces the original message through its response_url.
 */
export const handler = route({ role: 'public', tokens: apiTokens }, async (event) => {
  const secret = await slackSigningSecret();
  const slack = slackApi();
  if (secret === undefined || !slack) throw new HttpError(503, 'SlackNotConfigured', 'Slack interactions are not configured on this engine');
  const deps = getDependencies();
  const body = rawBody(event);
  verifySlackSignature({ headers: event.headers ?? {}, body, secret, now: deps.clock.now() });

  const interaction = parseInteraction(body);
  if (interaction.kind === 'ignored') {
    log.info('slack interaction ignored', { why: interaction.why });
    return ok();
  }
  const { press, responseUrl, message } = interaction;
  const result = await answerSlackPress(deps, slack, press);
  const outcome = outcomeText(press, result);
  log.info('slack button press', { rolloutId: press.rolloutId, gate: press.gate, kind: press.kind, user: press.user.id, result: result.kind === 'applied' ? (result.alreadyDone ? 'alreadyDone' : 'applied') : result.reason });
  const update = outcome.ephemeral ? ephemeral(outcome.text) : { ...outcomeMessage(message, outcome.text), replace_original: true as const };
  try {
    await slack.respond(responseUrl, update, RESPOND_TIMEOUT_MS);
  } catch (error) {
    // The decision stands either way; only its display in Slack is late or missing.
    log.warn('slack message update failed', { rolloutId: press.rolloutId, error: error instanceof Error ? error.message : String(error) });
  }
  return ok();
});
