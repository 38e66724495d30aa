/**
 * Follows a rollout over the HTTP API and prints one timeline line per change of phase, weight or
 * decision, until it ends. Shared by `npm start`'s demo rollout and `npm run demo`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/** Where a running `npm start` leaves its API URL and token for `npm run demo` (mode 0600). */
export const STACK_FILE = join(homedir(), '.cache', 'codedance', 'run', 'stack.json');

const rolloutView = z.looseObject({
  id: z.string(), name: z.string(), phase: z.string(), canaryWeight: z.number(), message: z.string(),
  failure: z.object({ reason: z.string(), message: z.string() }).optional(),
  analysis: z.looseObject({ last: z.object({ verdict: z.string(), score: z.number().nullable(), reason: z.string() }).optional() }),
});
export type RolloutView = z.infer<typeof rolloutView>;

export interface ApiTarget { url: string; token: string }

export async function api(target: ApiTarget, method: string, path: string, body?: string, contentType = 'application/yaml'): Promise<unknown> {
  const response = await fetch(`${target.url}${path}`, { method, body, headers: { authorization: `Bearer ${target.token}`, ...(body ? { 'content-type': contentType } : {}) } });
  const json: unknown = await response.json();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

export async function startRolloutFromYaml(target: ApiTarget, yaml: string): Promise<RolloutView> {
  return rolloutView.parse(await api(target, 'POST', '/rollouts', yaml));
}

export async function watchRollout(target: ApiTarget, id: string, print: (line: string) => void, timeoutMs = 15 * 60_000): Promise<RolloutView> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const view = rolloutView.parse(await api(target, 'GET', `/rollouts/${id}`));
    const analysis = view.analysis.last ? ` | ${view.analysis.last.verdict}${view.analysis.last.score !== null ? ` score ${view.analysis.last.score}` : ''}` : '';
    const line = `${view.phase.padEnd(12)} weight ${String(view.canaryWeight).padStart(3)}% | ${view.message}${analysis}`;
    if (line !== last) print(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s  ${line}`);
    last = line;
    if (view.phase === 'Completed' || view.phase === 'Failed') return view;
    if (Date.now() - started > timeoutMs) throw new Error(`rollout ${id} did not finish within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
