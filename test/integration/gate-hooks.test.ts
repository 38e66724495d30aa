import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpGateHookCaller } from '../../lib/adapters/webhooks/gate-hook-client.js';
import { startRollout } from '../../lib/app/start-rollout.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { documentWith } from '../support/fixtures.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

/**
 * Outbound gate hooks against a real local HTTP server: what each hook answers is scripted per path,
 * and every call is recorded with its body.
 */
const api = { id: 'tester', via: 'api' } as const;
let engine: EngineHarness;
let server: Server;
let base = '';
const calls: Array<{ path: string; body: Record<string, unknown> }> = [];
const script = new Map<string, number[]>();

describe('outbound gate hooks on the real emulators', () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c) => { text += String(c); });
      req.on('end', () => {
        const path = req.url ?? '/';
        calls.push({ path, body: JSON.parse(text || '{}') as Record<string, unknown> });
        const queue = script.get(path) ?? [];
        res.statusCode = queue.length > 1 ? queue.shift()! : queue[0] ?? 200;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    engine = await startEngineHarness({ timeFactor: 60 });
    engine.deps.gateHooks = new HttpGateHookCaller(['127.0.0.1']);
    await engine.startPollers();
  });
  afterAll(async () => {
    await engine?.stop();
    await new Promise((r) => server?.close(r));
  });

  const finished = (id: string) => async (): Promise<RolloutState | undefined> => {
    const s = await engine.store.get(id);
    return s && (s.phase === 'Completed' || s.phase === 'Failed') ? s : undefined;
  };

  it('pre-rollout and confirm-step hooks gate the rollout; 503s keep a gate closed until a 2xx; post-rollout is told', async () => {
    script.set('/pre', [200]);
    script.set('/confirm', [503, 503, 200]);
    const webhooks = [
      { name: 'pre', type: 'pre-rollout', url: `${base}/pre` },
      { name: 'tests-green', type: 'confirm-step', url: `${base}/confirm` },
      { name: 'done', type: 'post-rollout', url: `${base}/post` },
    ];
    const doc = documentWith({ targetDeployment: 'hooked', strategy: { type: 'Linear', steps: [{ weight: 30, pause: '30s' }, { weight: 100 }] }, analysis: { interval: '10s' }, webhooks }, { name: 'hooked' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('hooked to finish', finished(started.id), 90_000);
    expect(done.phase).toBe('Completed');
    expect(done.approvals.map((a) => [a.gate, a.actor.id])).toEqual([[0, 'webhook:tests-green'], [1, 'webhook:tests-green']]);
    expect(calls.filter((c) => c.path === '/pre')).toHaveLength(1);
    expect(calls.filter((c) => c.path === '/confirm').length).toBeGreaterThanOrEqual(4);
    await waitUntil('post-rollout call', async () => calls.some((c) => c.path === '/post'));
    expect(calls.find((c) => c.path === '/post')?.body).toMatchObject({ hook: 'done', type: 'post-rollout', rolloutId: started.id, phase: 'Completed' });
    const audit = await engine.deps.audit.events(started.id);
    expect(audit.filter((e) => e.type === 'Approved').every((e) => e.actor.via === 'webhook')).toBe(true);
  });

  it('a rollback hook answering 2xx rolls the canary back', async () => {
    script.set('/rollback', [404, 200]);
    const doc = documentWith({ targetDeployment: 'recalled', strategy: { type: 'Linear', steps: [{ weight: 30, pause: '1h' }, { weight: 100 }] }, analysis: { interval: '10s' }, webhooks: [{ name: 'pager', type: 'rollback', url: `${base}/rollback` }] }, { name: 'recalled' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('recalled to be rolled back', finished(started.id), 60_000);
    expect(done.failure).toMatchObject({ reason: 'Aborted', message: 'rollback hook pager asked for a rollback' });
    expect(engine.cluster.workloads.get('production/recalled')?.weight).toBe(0);
  });

  it('a confirm hook with onFailure reject rolls back on its first failure', async () => {
    script.set('/strict', [500]);
    const doc = documentWith({ targetDeployment: 'strict', webhooks: [{ name: 'strict', type: 'confirm-step', url: `${base}/strict`, onFailure: 'reject' }] }, { name: 'strict' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('strict to fail', finished(started.id), 60_000);
    expect(done.failure?.reason).toBe('Rejected');
    expect(done.failure?.message).toMatch(/confirm-step hook failed for step 1\/3: strict: HTTP 500/);
  });
});
