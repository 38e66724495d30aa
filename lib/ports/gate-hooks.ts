import type { GateHook } from '../domain/spec.js';

/** Calls one outbound gate hook. Never throws: a refusal, a timeout or a blocked URL is `ok: false`. */
export interface GateHookCaller {
  call(hook: GateHook, payload: Record<string, unknown>): Promise<{ ok: boolean; detail: string }>;
}
