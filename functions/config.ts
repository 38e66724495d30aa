import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The engine's configuration, read from the environment once per container and validated like any
 * other edge. Secrets (API tokens, cluster tokens) come from SSM on AWS and from env vars locally.
 */
const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
    return z.NEVER;
  }
});

const envSchema = z.object({
  CODEDANCE_TABLE: z.string().min(1, 'is required: the DynamoDB table name'),
  CODEDANCE_TICK_QUEUE_URL: z.url().optional(),
  CODEDANCE_TICK_QUEUE_NAME: z.string().min(1).optional(),
  CODEDANCE_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CODEDANCE_API_TOKENS: jsonText.optional(),
  CODEDANCE_API_TOKEN_PARAMETER: z.string().min(1).optional(),
  CODEDANCE_CLUSTERS: jsonText.optional(),
  CODEDANCE_CLUSTERS_FILE: z.string().min(1).optional(),
  /** Slack app: request signing secret and bot token, as values (local) or SSM parameter names (AWS). */
  CODEDANCE_SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  CODEDANCE_SLACK_SIGNING_SECRET_PARAMETER: z.string().min(1).optional(),
  CODEDANCE_SLACK_BOT_TOKEN: z.string().min(1).optional(),
  CODEDANCE_SLACK_BOT_TOKEN_PARAMETER: z.string().min(1).optional(),
  /** Slack Web API base URL; a local Slack stand-in in tests. */
  CODEDANCE_SLACK_API_URL: z.url().default('https://slack.com/api'),
  /** Global notification destinations, JSON list shaped like spec.notifications. */
  CODEDANCE_NOTIFICATIONS: jsonText.optional(),
  /** Hosts outbound notifications and hooks may reach, comma-separated (exact host or *.suffix). */
  CODEDANCE_OUTBOUND_ALLOWLIST: z.string().optional(),
  /** HMAC key of signed callback links (POST /callbacks/{token}), as a value or an SSM parameter name. */
  CODEDANCE_CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  CODEDANCE_CALLBACK_SECRET_PARAMETER: z.string().min(1).optional(),
  /** Queue of pending notification deliveries (retried with backoff, never in a tick's path). */
  CODEDANCE_NOTIFICATION_QUEUE_NAME: z.string().min(1).optional(),
  CODEDANCE_NOTIFICATION_QUEUE_URL: z.url().optional(),
  CODEDANCE_PROMETHEUS_URL: z.url().optional(),
  /** Label names and values when a cluster labels differently, e.g. {"app":"app_kubernetes_io_name"}. */
  CODEDANCE_PROMETHEUS_LABELS: jsonText.pipe(z.strictObject({
    app: z.string().optional(), version: z.string().optional(), canaryValue: z.string().optional(),
    stableValue: z.string().optional(), status: z.string().optional(), namespace: z.string().optional(),
  })).optional(),
}).refine((env) => env.CODEDANCE_TICK_QUEUE_URL || env.CODEDANCE_TICK_QUEUE_NAME, {
  message: 'set CODEDANCE_TICK_QUEUE_URL or CODEDANCE_TICK_QUEUE_NAME', path: ['CODEDANCE_TICK_QUEUE_NAME'],
});

export type EngineConfig = z.infer<typeof envSchema>;

export function readConfig(env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  if (config.CODEDANCE_CLUSTERS === undefined && config.CODEDANCE_CLUSTERS_FILE) {
    return { ...config, CODEDANCE_CLUSTERS: JSON.parse(readFileSync(config.CODEDANCE_CLUSTERS_FILE, 'utf8')) as unknown };
  }
  return config;
}
