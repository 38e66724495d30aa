import { createHmac } from 'node:crypto';
import type { NotificationJob } from '../../app/deliver-notification.js';
import { EVENT_LABELS, facts } from './events.js';
import { title, type FormatContext, type OutboundRequest } from './request.js';

/**
 * DingTalk custom robot (https://open.dingtalk.com/document/robots/custom-robot-access):
 * `{"msgtype":"markdown","markdown":{"title","text"}}`. With "additional signature" security the URL
 * carries `timestamp` (ms) and `sign` = URL-encoded base64 HMAC-SHA256 of "<timestamp>\n<secret>",
 * keyed with the secret; DingTalk refuses timestamps more than an hour off.
 */
export function formatDingTalk(job: NotificationJob, context: FormatContext): OutboundRequest {
  const p = job.payload;
  const heading = title(job, EVENT_LABELS[p.event]);
  const text = [
    `### ${heading}`,
    '',
    p.message,
    '',
    ...facts(p).map(([label, value]) => `- **${label}**: ${value}`),
    '',
    `${p.cluster}/${p.namespace} · ${p.rolloutId} · ${p.at}`,
  ].join('\n');
  const url = context.secret !== undefined ? signDingTalkUrl(job.destination.url, context.secret, context.now) : job.destination.url;
  return { url, headers: {}, body: JSON.stringify({ msgtype: 'markdown', markdown: { title: heading, text } }) };
}

export function dingTalkSign(timestamp: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

export function signDingTalkUrl(url: string, secret: string, now: Date): string {
  const timestamp = now.getTime();
  const parsed = new URL(url);
  // URLSearchParams encodes +, / and = of the base64 signature, which is the encoding DingTalk expects.
  parsed.searchParams.set('timestamp', String(timestamp));
  parsed.searchParams.set('sign', dingTalkSign(timestamp, secret));
  return parsed.toString();
}
