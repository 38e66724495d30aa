import type { NotificationJob } from '../../app/deliver-notification.js';
import { formatDingTalk } from './dingtalk.js';
import type { FormatContext, OutboundRequest } from './request.js';
import { formatSlack } from './slack.js';
import { formatWebhook } from './webhook.js';
import { formatWeCom } from './wecom.js';

/** One formatter per service, each in its documented message format. */
export function formatNotification(job: NotificationJob, context: FormatContext): OutboundRequest {
  switch (job.destination.type) {
    case 'slack': return formatSlack(job, context);
    case 'webhook': return formatWebhook(job, context);
    case 'dingtalk': return formatDingTalk(job, context);
    case 'wecom': return formatWeCom(job, context);
  }
}
