import type { NotificationJob } from '../../app/deliver-notification.js';
import { EVENT_LABELS, facts } from './events.js';
import { title, truncate, type FormatContext, type OutboundRequest } from './request.js';

/**
 * WeCom (企业微信) group robot (https://developer.work.weixin.qq.com/document/path/91770):
 * `{"msgtype":"markdown","markdown":{"content"}}`, content at most 4096 bytes. The robot's key is in
 * its URL, so there is nothing to sign.
 */
const COLOURS: Record<string, string> = { rolledBack: 'warning', failed: 'warning', paused: 'comment', awaitingApproval: 'comment', completed: 'info', started: 'info', stepAdvanced: 'info' };

export function formatWeCom(job: NotificationJob, _context: FormatContext): OutboundRequest {
  const p = job.payload;
  const content = [
    `### <font color="${COLOURS[p.event] ?? 'info'}">${title(job, EVENT_LABELS[p.event])}</font>`,
    p.message,
    ...facts(p).map(([label, value]) => `> ${label}: ${value}`),
    `${p.cluster}/${p.namespace} · ${p.rolloutId} · ${p.at}`,
  ].join('\n');
  // 4096 bytes, not characters: Chinese text takes 3 bytes per character in UTF-8.
  let bounded = content;
  while (Buffer.byteLength(bounded) > 4096) bounded = truncate(bounded, Math.floor(bounded.length * 0.9));
  return { url: job.destination.url, headers: {}, body: JSON.stringify({ msgtype: 'markdown', markdown: { content: bounded } }) };
}
