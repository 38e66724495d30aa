import type { NotificationJob } from '../../app/deliver-notification.js';
import { EVENT_LABELS, facts } from './events.js';
import { title, truncate, type FormatContext, type OutboundRequest } from './request.js';

/**
 * Slack incoming webhook (https://api.slack.com/messaging/webhooks): Block Kit blocks, plus `text` as
 * the fallback Slack shows in notifications and on clients without blocks.
 */

/** Slack's mrkdwn treats &, < and > as control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function formatSlack(job: NotificationJob, _context: FormatContext): OutboundRequest {
  const p = job.payload;
  const heading = title(job, EVENT_LABELS[p.event]);
  const body = {
    text: truncate(`${heading}: ${p.message}`, 3000),
    blocks: [
      // Header text is plain_text of at most 150 characters.
      { type: 'header', text: { type: 'plain_text', text: truncate(heading, 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: truncate(escape(p.message), 3000) } },
      // A section holds at most 10 fields of at most 2000 characters each.
      { type: 'section', fields: facts(p).map(([label, value]) => ({ type: 'mrkdwn', text: truncate(`*${label}*\n${escape(value)}`, 2000) })) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: escape(`${p.cluster}/${p.namespace} · ${p.rolloutId} · ${p.at} · by ${p.actor}`) }] },
    ],
  };
  return { url: job.destination.url, headers: {}, body: JSON.stringify(body) };
}
