import type { NotificationJob } from '../../app/deliver-notification.js';

/** An HTTP request ready to send: the formatters are pure, so they are unit-tested without a network. */
export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface FormatContext {
  /** The destination's resolved secret (not its name), when it has one. */
  secret: string | undefined;
  /** Signing time; signatures are made at send time so a retried job is not rejected as stale. */
  now: Date;
}

export const title = (job: NotificationJob, label: string): string => `${job.payload.name}: ${label}`;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
