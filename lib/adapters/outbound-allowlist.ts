/**
 * Which hosts the engine may call out to (Slack, notification webhooks, gate hooks). A spec author
 * chooses URLs, so without this check a rollout document could make the engine probe internal
 * services (SSRF). Entries are exact host names or `*.suffix` (subdomains only, not the bare suffix).
 */

/** Used when CODEDANCE_OUTBOUND_ALLOWLIST is unset: Slack, and loopback for local runs. */
export const DEFAULT_OUTBOUND_ALLOWLIST: readonly string[] = ['hooks.slack.com', 'slack.com', '127.0.0.1', 'localhost', '::1'];

/** Parses the comma-separated setting; unset means the default, an empty string allows nothing. */
export function parseAllowlist(setting: string | undefined): string[] {
  if (setting === undefined) return [...DEFAULT_OUTBOUND_ALLOWLIST];
  return setting.split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '');
}

/** True when `url` is http(s) and its host matches an entry. Pure: no DNS lookups. */
export function isAllowedUrl(url: string, allowlist: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  // URL keeps IPv6 hosts in brackets and may keep a trailing dot; neither is part of the name we match.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
  if (host === '') return false;
  return allowlist.some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (entry.startsWith('*.')) {
      const suffix = entry.slice(1); // ".example.com"
      return suffix.length > 1 && host.endsWith(suffix) && host.length > suffix.length;
    }
    return entry !== '' && host === entry;
  });
}

/** Thrown before any request leaves when a URL is not on the allowlist. */
export class OutboundUrlNotAllowedError extends Error {
  constructor(url: string) {
    // Only the host is named: paths of webhook URLs often carry secrets.
    super(`Outbound call to ${safeHost(url)} is not allowed: add the host to CODEDANCE_OUTBOUND_ALLOWLIST`);
    this.name = 'OutboundUrlNotAllowedError';
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host || '(no host)';
  } catch {
    return '(an invalid URL)';
  }
}

/** Throws OutboundUrlNotAllowedError unless `url` is allowed. */
export function assertAllowedUrl(url: string, allowlist: readonly string[]): void {
  if (!isAllowedUrl(url, allowlist)) throw new OutboundUrlNotAllowedError(url);
}
