import axios from 'axios';
import { z } from 'zod';
import { hostOf, type NotificationJob, type NotificationSender } from '../../app/deliver-notification.js';
import { formatNotification } from './format.js';

export interface HttpSenderOptions {
  /** Resolves a destination's secret by name: an env var locally, an SSM parameter on AWS. */
  resolveSecret: (name: string) => Promise<string>;
  /** Per attempt, covering the whole answer; short, because SQS redelivery is the retry. Default 3000. */
  timeoutMs?: number;
  now?: () => Date;
}

export class NotificationRejectedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotificationRejectedError';
  }
}

/** DingTalk and WeCom answer 200 with `errcode` ≠ 0 when they refuse a message (bad signature, rate limit). */
const robotAnswer = z.looseObject({ errcode: z.number().optional(), errmsg: z.string().optional() });

/** Sends formatted notifications over HTTP(S); any answer other than an accepting 2xx throws. */
export class HttpNotificationSender implements NotificationSender {
  constructor(private readonly options: HttpSenderOptions) {}

  async send(job: NotificationJob): Promise<void> {
    const { secret: secretName } = job.destination;
    const secret = secretName !== undefined ? await this.options.resolveSecret(secretName) : undefined;
    const request = formatNotification(job, { secret, now: this.options.now?.() ?? new Date() });
    const timeout = this.options.timeoutMs ?? 3000;
    const where = `${job.destination.type} destination ${hostOf(job.destination.url)}`;
    let response;
    try {
      response = await axios.post<unknown>(request.url, request.body, {
        headers: { 'content-type': 'application/json', 'idempotency-key': job.key, 'user-agent': 'codedance-notifier', ...request.headers },
        // The signal bounds the whole exchange; axios' own timeout alone misses a server that trickles bytes.
        timeout, signal: AbortSignal.timeout(timeout),
        // A redirect could lead past the allowlist check, which saw only the first URL.
        maxRedirects: 0,
        transformRequest: [(data: unknown) => data],
        responseType: 'text', transformResponse: [(data: unknown) => data],
        validateStatus: () => true,
      });
    } catch (error) {
      const why = axios.isCancel(error) || (axios.isAxiosError(error) && error.code === 'ECONNABORTED') ? `within ${timeout} ms` : `(${error instanceof Error ? error.message : String(error)})`;
      throw new NotificationRejectedError(`${where} did not answer ${why}`, { cause: error });
    }
    if (response.status < 200 || response.status >= 300) throw new NotificationRejectedError(`${where} answered HTTP ${response.status}`);
    if (job.destination.type === 'dingtalk' || job.destination.type === 'wecom') {
      const answer = robotAnswer.safeParse(parseJson(response.data));
      if (answer.success && answer.data.errcode !== undefined && answer.data.errcode !== 0) {
        throw new NotificationRejectedError(`${where} refused the message: errcode ${answer.data.errcode} ${answer.data.errmsg ?? ''}`.trim());
      }
    }
  }
}

function parseJson(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
