import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTBOUND_ALLOWLIST, assertAllowedUrl, isAllowedUrl, parseAllowlist } from '../../lib/adapters/outbound-allowlist.js';

describe('outbound allowlist', () => {
  it.each<[string, string, boolean]>([
    ['https://hooks.slack.com/services/T/B/x', 'hooks.slack.com', true],
    ['https://HOOKS.slack.com./actions/1', 'hooks.slack.com', true],
    ['https://evil.hooks.slack.com/x', 'hooks.slack.com', false],
    ['https://oapi.dingtalk.com/robot/send', '*.dingtalk.com', true],
    ['https://a.b.dingtalk.com/x', '*.dingtalk.com', true],
    ['https://dingtalk.com/x', '*.dingtalk.com', false],
    ['https://notdingtalk.com/x', '*.dingtalk.com', false],
    ['https://dingtalk.com.evil.io/x', '*.dingtalk.com', false],
    ['http://127.0.0.1:8080/hook', '127.0.0.1', true],
    ['http://[::1]:8080/hook', '::1', true],
    ['http://169.254.169.254/latest/meta-data', 'hooks.slack.com,127.0.0.1', false],
    ['ftp://hooks.slack.com/x', 'hooks.slack.com', false],
    ['file:///etc/passwd', 'hooks.slack.com', false],
    ['not a url', 'hooks.slack.com', false],
    ['https://user:pw@example.com/x', 'example.com', true],
    ['https://example.com/x', '', false],
  ])('%s against "%s" → %s', (url, setting, expected) => {
    expect(isAllowedUrl(url, parseAllowlist(setting))).toBe(expected);
  });

  it('defaults to Slack and loopback when unset', () => {
    expect(parseAllowlist(undefined)).toEqual([...DEFAULT_OUTBOUND_ALLOWLIST]);
    expect(isAllowedUrl('https://slack.com/api/chat.postMessage', parseAllowlist(undefined))).toBe(true);
    expect(isAllowedUrl('https://hooks.slack.com/actions/x', parseAllowlist(undefined))).toBe(true);
    expect(isAllowedUrl('http://localhost:3000/x', parseAllowlist(undefined))).toBe(true);
    expect(isAllowedUrl('https://example.com/', parseAllowlist(undefined))).toBe(false);
  });

  it('trims and lower-cases entries', () => {
    expect(parseAllowlist(' Hooks.Slack.com , *.Example.org ,')).toEqual(['hooks.slack.com', '*.example.org']);
  });

  it('names only the host when refusing, never the path (it may hold a secret)', () => {
    expect(() => assertAllowedUrl('https://internal.corp/hooks/SECRET123', ['hooks.slack.com'])).toThrow(/internal\.corp/);
    expect(() => assertAllowedUrl('https://internal.corp/hooks/SECRET123', ['hooks.slack.com'])).not.toThrow(/SECRET123/);
  });
});
