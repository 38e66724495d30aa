import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackSignature } from '../../lib/http/slack-signature.js';

/**
 * A local Slack: a real HTTP server on 127.0.0.1 serving the Web API methods the engine calls
 * (chat.postMessage, usergroups.users.list) and the response_url of every message it recorded, plus
 * `press`, which clicks a recorded message's button the way Slack would: a signed block_actions POST.
 */
export interface PostedMessage { channel: string; text: string; blocks: Array<Record<string, unknown>>; ts: string }
export interface MessageUpdate { ts: string; body: Record<string, unknown> }
/** How the press is signed: correctly, with the wrong secret, over a body changed afterwards, or 6 minutes ago. */
export type Signing = 'valid' | 'forged' | 'altered' | 'old';

export interface SlackStandIn {
  /** e.g. http://127.0.0.1:PORT/api — CODEDANCE_SLACK_API_URL. */
  apiUrl: string;
  messages: PostedMessage[];
  updates: MessageUpdate[];
  /** Members of user groups, as usergroups.users.list reports them. */
  groups: Map<string, string[]>;
  press(message: PostedMessage, button: 'approve' | 'reject', userId: string, options?: { signing?: Signing; userName?: string }): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<string> => new Promise((resolve, reject) => {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => { data += chunk; });
  req.on('end', () => resolve(data));
  req.on('error', reject);
});

export async function startSlackStandIn(options: { engineUrl: () => string; signingSecret: string; botToken: string }): Promise<SlackStandIn> {
  const messages: PostedMessage[] = [];
  const updates: MessageUpdate[] = [];
  const groups = new Map<string, string[]>();
  let seq = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const reply = (status: number, json: unknown): void => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json)); };
      if (url.pathname.startsWith('/api/') && req.headers.authorization !== `Bearer ${options.botToken}`) return reply(200, { ok: false, error: 'invalid_auth' });
      if (req.method === 'POST' && url.pathname === '/api/chat.postMessage') {
        const args = JSON.parse(body) as { channel: string; text: string; blocks: Array<Record<string, unknown>> };
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
        messages.push({ channel: args.channel, text: args.text, blocks: args.blocks, ts });
        return reply(200, { ok: true, channel: args.channel, ts });
      }
      if (url.pathname === '/api/usergroups.users.list') {
        const group = url.searchParams.get('usergroup') ?? '';
        return groups.has(group) ? reply(200, { ok: true, users: groups.get(group) }) : reply(200, { ok: false, error: 'no_such_subteam' });
      }
      if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
        updates.push({ ts: url.pathname.slice('/response/'.length), body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      return reply(404, { ok: false, error: 'unknown_method' });
    })().catch((error: unknown) => { res.writeHead(500).end(String(error)); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function press(message: PostedMessage, button: 'approve' | 'reject', userId: string, o: { signing?: Signing; userName?: string } = {}) {
    const actions = message.blocks.find((b) => b.type === 'actions') as { block_id: string; elements: Array<{ action_id: string; value: string }> } | undefined;
    const element = actions?.elements.find((e) => e.action_id === `codedance_${button}`);
    if (!actions || !element) throw new Error(`message ${message.ts} has no ${button} button`);
    const payload = (user: string) => ({
      type: 'block_actions', team: { id: 'T0LOCAL', domain: 'local' }, api_app_id: 'A0LOCAL', trigger_id: `trigger.${Date.now()}`,
      user: { id: user, username: o.userName ?? user.toLowerCase(), name: o.userName ?? user.toLowerCase(), team_id: 'T0LOCAL' },
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
      channel: { id: message.channel, name: message.channel.replace(/^#/, '') },
      message: { type: 'message', ts: message.ts, text: message.text, blocks: message.blocks },
      response_url: `${base}/response/${message.ts}`,
      actions: [{ type: 'button', action_id: element.action_id, block_id: actions.block_id, value: element.value, action_ts: `${Date.now() / 1000}`, text: { type: 'plain_text', text: button } }],
    });
    const form = (user: string) => new URLSearchParams({ payload: JSON.stringify(payload(user)) }).toString();
    const signing = o.signing ?? 'valid';
    const timestamp = String(Math.floor(Date.now() / 1000) - (signing === 'old' ? 6 * 60 : 0));
    const signed = form(userId);
    const signature = slackSignature(signing === 'forged' ? `${options.signingSecret}-forged` : options.signingSecret, timestamp, signed);
    // "altered": the press is signed, then the user is swapped in transit.
    const sent = signing === 'altered' ? form('UMALLORY1') : signed;
    const response = await fetch(`${options.engineUrl()}/slack/interactions`, {
      method: 'POST', body: sent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
    });
    return { status: response.status, text: await response.text() };
  }

  return {
    apiUrl: `${base}/api`, messages, updates, groups, press,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
