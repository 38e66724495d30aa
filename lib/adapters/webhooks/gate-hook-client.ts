import axios from 'axios';
import type { GateHook } from '../../domain/spec.js';
import type { GateHookCaller } from '../../ports/gate-hooks.js';
import { isAllowedUrl } from '../outbound-allowlist.js';

/**
 * Gate hooks over HTTP: POST the rollout's context as JSON; any 2xx is a yes. The URL must be on the
 * outbound allowlist. Errors are reduced to a status or a short reason: hook URLs and axios errors can
 * carry secrets (tokens in query strings, headers), so neither reaches a message or a log.
 */
export class HttpGateHookCaller implements GateHookCaller {
  constructor(private readonly allowlist: readonly string[]) {}

  async call(hook: GateHook, payload: Record<string, unknown>): Promise<{ ok: boolean; detail: string }> {
    if (!isAllowedUrl(hook.url, this.allowlist)) return { ok: false, detail: `host ${new URL(hook.url).host} is not on the outbound allowlist` };
    try {
      const response = await axios.post(hook.url, { hook: hook.name, type: hook.type, ...payload }, {
        timeout: hook.timeoutMs, signal: AbortSignal.timeout(hook.timeoutMs + 500), validateStatus: () => true,
        headers: { 'content-type': 'application/json', 'user-agent': 'codedance-gate-hook' }, maxRedirects: 0,
      });
      return { ok: response.status >= 200 && response.status < 300, detail: `HTTP ${response.status}` };
    } catch (error) {
      const code = axios.isAxiosError(error) ? error.code ?? 'network error' : 'error';
      return { ok: false, detail: code === 'ECONNABORTED' || code === 'ERR_CANCELED' ? `no answer within ${hook.timeoutMs} ms` : code };
    }
  }
}
