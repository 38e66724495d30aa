import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NotificationJob } from '../../lib/app/deliver-notification.js';
import { dingTalkSign } from '../../lib/adapters/notifications/dingtalk.js';
import { formatNotification } from '../../lib/adapters/notifications/format.js';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../lib/adapters/notifications/webhook.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const job = (type: NotificationJob['destination']['type'], url: string, patch: Partial<NotificationJob['payload']> = {}): NotificationJob => ({
  key: 'ro_1:7:abcdef0123456789',
  destination: { type, url },
  payload: {
    event: 'rolledBack', auditType: 'RolledBack', position: 7, rolloutId: 'ro_1', name: 'order-service', namespace: 'production',
    cluster: 'eu-1', phase: 'Failed', weight: 0, step: { current: 2, total: 3 }, score: 42,
    failingMetric: 'errorRate 3.2 (threshold ≤ 1)', message: 'Traffic is 100% stable: error rate <3.2%> & rising', actor: 'engine', at: NOW.toISOString(),
    ...patch,
  },
});
const json = (body: string): unknown => JSON.parse(body);

describe('Slack incoming webhook', () => {
  const slackBody = z.object({
    text: z.string(),
    blocks: z.tuple([
      z.object({ type: z.literal('header'), text: z.object({ type: z.literal('plain_text'), text: z.string().max(150) }) }),
      z.object({ type: z.literal('section'), text: z.object({ type: z.literal('mrkdwn'), text: z.string() }) }),
      z.object({ type: z.literal('section'), fields: z.array(z.object({ type: z.literal('mrkdwn'), text: z.string() })).max(10) }),
      z.object({ type: z.literal('context'), elements: z.array(z.object({ type: z.literal('mrkdwn'), text: z.string() })) }),
    ]),
  });

  it('has a header with rollout and event, and fields for phase, weight, step, score and the failing metric', () => {
    // Act
    const request = formatNotification(job('slack', 'https://hooks.slack.com/services/T/B/x'), { secret: undefined, now: NOW });
    const body = slackBody.parse(json(request.body));
    // Assess
    expect(body.blocks[0].text.text).toBe('order-service: Rolled back');
    expect(body.blocks[2].fields.map((f) => f.text)).toEqual([
      '*Phase*\nFailed', '*Weight*\n0%', '*Step*\n2/3', '*Health score*\n42', '*Failing metric*\nerrorRate 3.2 (threshold ≤ 1)',
    ]);
    expect(body.blocks[1].text.text).toBe('Traffic is 100% stable: error rate &lt;3.2%&gt; &amp; rising');
    expect(request.url).toBe('https://hooks.slack.com/services/T/B/x');
  });

  it('leaves out the failing metric when there is none and says n/a without a score', () => {
    const body = slackBody.parse(json(formatNotification(job('slack', 'https://hooks.slack.com/x', { event: 'started', failingMetric: undefined, score: null, step: undefined }), { secret: undefined, now: NOW }).body));
    expect(body.blocks[2].fields.map((f) => f.text)).toEqual(['*Phase*\nFailed', '*Weight*\n0%', '*Step*\n–', '*Health score*\nn/a']);
  });
});

describe('generic webhook', () => {
  it('sends the documented JSON body', () => {
    const request = formatNotification(job('webhook', 'https://example.com/hook'), { secret: undefined, now: NOW });
    expect(json(request.body)).toEqual({
      event: 'rolledBack', auditType: 'RolledBack', rollout: { id: 'ro_1', name: 'order-service', namespace: 'production', cluster: 'eu-1' },
      phase: 'Failed', weight: 0, step: { current: 2, total: 3 }, score: 42, failingMetric: 'errorRate 3.2 (threshold ≤ 1)',
      message: 'Traffic is 100% stable: error rate <3.2%> & rising', actor: 'engine', at: NOW.toISOString(), idempotencyKey: 'ro_1:7:abcdef0123456789',
    });
    expect(request.headers[SIGNATURE_HEADER]).toBeUndefined();
  });

  it('signs "<t>.<body>" with the secret; a receiver can verify it, and not a tampered body or an old one', () => {
    // Act
    const request = formatNotification(job('webhook', 'https://example.com/hook'), { secret: 's3cret', now: NOW });
    const header = request.headers[SIGNATURE_HEADER] ?? '';
    // Assess
    const t = Math.floor(NOW.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', 's3cret').update(`${t}.${request.body}`).digest('hex')}`);
    expect(verifyWebhookSignature(header, request.body, 's3cret', NOW)).toBe(true);
    expect(verifyWebhookSignature(header, request.body.replace('rolledBack', 'completed'), 's3cret', NOW)).toBe(false);
    expect(verifyWebhookSignature(header, request.body, 'other', NOW)).toBe(false);
    expect(verifyWebhookSignature(header, request.body, 's3cret', new Date(NOW.getTime() + 6 * 60_000))).toBe(false);
  });
});

describe('DingTalk robot', () => {
  it('sends markdown with title and text', () => {
    const request = formatNotification(job('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=abc'), { secret: undefined, now: NOW });
    const body = z.strictObject({ msgtype: z.literal('markdown'), markdown: z.strictObject({ title: z.string(), text: z.string() }) }).parse(json(request.body));
    expect(body.markdown.title).toBe('order-service: Rolled back');
    expect(body.markdown.text).toContain('- **Failing metric**: errorRate 3.2 (threshold ≤ 1)');
    expect(request.url).toBe('https://oapi.dingtalk.com/robot/send?access_token=abc');
  });

  it('signs the URL with timestamp (ms) and the URL-encoded base64 HMAC of "timestamp\\nsecret"', () => {
    // Act
    const request = formatNotification(job('dingtalk', 'https://oapi.dingtalk.com/robot/send?access_token=abc'), { secret: 'SECxyz', now: NOW });
    const url = new URL(request.url);
    // Assess
    const expected = createHmac('sha256', 'SECxyz').update(`${NOW.getTime()}\nSECxyz`).digest('base64');
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe(String(NOW.getTime()));
    expect(url.searchParams.get('sign')).toBe(expected);
    expect(dingTalkSign(NOW.getTime(), 'SECxyz')).toBe(expected);
    // The raw query carries the signature percent-encoded (base64's + / = are not left bare).
    expect(request.url).not.toMatch(/sign=[^&]*[+/=]/);
  });
});

describe('WeCom robot', () => {
  it('sends markdown content', () => {
    const request = formatNotification(job('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k'), { secret: undefined, now: NOW });
    const body = z.strictObject({ msgtype: z.literal('markdown'), markdown: z.strictObject({ content: z.string() }) }).parse(json(request.body));
    expect(body.markdown.content).toContain('order-service: Rolled back');
    expect(body.markdown.content).toContain('> Weight: 0%');
  });

  it('keeps the content within 4096 bytes', () => {
    const request = formatNotification(job('wecom', 'https://qyapi.weixin.qq.com/x', { message: '回滚'.repeat(3000) }), { secret: undefined, now: NOW });
    const content = z.object({ markdown: z.object({ content: z.string() }) }).parse(json(request.body)).markdown.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4096);
  });
});
