/**
 * A tiny Slack Web API client: post a message, replace an interactive message through its
 * response_url, list a user group's members. Every URL is checked against the outbound allowlist
 * before a request leaves, and errors never carry the bot token (axios errors are reduced to a message).
 */
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { DependencyError } from '../../app/errors.js';
import { assertAllowedUrl } from '../outbound-allowlist.js';

export interface SlackApiOptions {
  /** e.g. https://slack.com/api (a local stand-in in tests). */
  baseUrl: string;
  /** The bot token (xoxb-…), resolved lazily: on AWS it comes from SSM. */
  botToken: () => Promise<string>;
  /** Hosts the client may call (see outbound-allowlist.ts). */
  allowlist: readonly string[];
  /** Per request. Default 5000. */
  timeoutMs?: number;
}

/** A message body as Slack takes it: fallback text plus Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

/** What a response_url accepts: replace the original message, or answer only the presser. */
export type SlackResponse = SlackMessage & ({ replace_original: true } | { response_type: 'ephemeral'; replace_original: false });

const okBody = z.object({ ok: z.boolean(), error: z.string().optional() });
const postedBody = z.object({ ok: z.literal(true), channel: z.string(), ts: z.string() });
const membersBody = z.object({ ok: z.literal(true), users: z.array(z.string()) });

export class SlackApi {
  private readonly http: AxiosInstance;
  private readonly baseUrl: string;

  constructor(private readonly options: SlackApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    // validateStatus: every answer is read and judged here, so a 4xx/5xx is our error, not axios's.
    this.http = axios.create({ timeout: options.timeoutMs ?? 5000, validateStatus: () => true, maxRedirects: 0 });
  }

  /** chat.postMessage; returns where the message landed so it can be referred to later. */
  async postMessage(channel: string, text: string, blocks: unknown[]): Promise<{ channel: string; ts: string }> {
    const body = await this.call('chat.postMessage', 'post', { channel, text, blocks });
    return postedBody.parse(body);
  }

  /** usergroups.users.list: the user ids in a user group (needs the usergroups:read scope). */
  async usergroupMembers(usergroup: string): Promise<string[]> {
    const body = await this.call('usergroups.users.list', 'get', { usergroup });
    return membersBody.parse(body).users;
  }

  /**
   * Posts to an interaction's response_url. That URL is signed by Slack itself and takes no token,
   * so none is sent: a response_url pointing elsewhere must not receive our bot token.
   */
  async respond(responseUrl: string, message: SlackResponse, timeoutMs?: number): Promise<void> {
    assertAllowedUrl(responseUrl, this.options.allowlist);
    const response = await this.send(() => this.http.post(responseUrl, message, { headers: { 'content-type': 'application/json; charset=utf-8' }, ...(timeoutMs ? { timeout: timeoutMs } : {}) }), 'response_url');
    if (response.status < 200 || response.status >= 300) throw new DependencyError('Slack', `response_url answered HTTP ${response.status}`, response.status >= 500);
  }

  private async call(method: string, verb: 'get' | 'post', args: Record<string, unknown>): Promise<unknown> {
    const url = `${this.baseUrl}/${method}`;
    assertAllowedUrl(url, this.options.allowlist);
    const headers = { authorization: `Bearer ${await this.options.botToken()}`, 'content-type': 'application/json; charset=utf-8' };
    const response = await this.send(() => (verb === 'post' ? this.http.post(url, args, { headers }) : this.http.get(url, { headers, params: args })), method);
    if (response.status === 429 || response.status >= 500) throw new DependencyError('Slack', `${method} answered HTTP ${response.status}`, true);
    const parsed = okBody.safeParse(response.data);
    if (!parsed.success) throw new DependencyError('Slack', `${method} answered HTTP ${response.status} without a Slack API body`, false);
    // Slack reports failures as 200 + {ok:false, error:"channel_not_found"}; the code is safe to show.
    if (!parsed.data.ok) throw new DependencyError('Slack', `${method} failed: ${parsed.data.error ?? 'unknown error'}`, false);
    return response.data;
  }

  private async send<T>(request: () => Promise<T>, what: string): Promise<T> {
    try {
      return await request();
    } catch (error) {
      // Only the message: an AxiosError's config holds the Authorization header.
      const message = error instanceof Error ? error.message : String(error);
      throw new DependencyError('Slack', `${what}: ${message}`, true);
    }
  }
}
