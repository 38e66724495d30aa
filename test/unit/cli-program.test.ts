import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { run, type Io } from '../../cli/program.js';
import { newReleaseStatus, parseReleaseDocument, type ReleaseStatus } from '../../lib/domain/release.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { releaseView } from '../../lib/http/release-view.js';
import { rolloutView } from '../../lib/http/views.js';
import { T0, documentWith, stateFrom } from '../support/fixtures.js';

/**
 * The CLI run in-process against a scripted API (a fetch function answering like the handlers do, with
 * the server's own view functions): exit codes, messages and the watch loop, without a network.
 */
type Reply = { status: number; body: unknown };
type Route = (method: string, path: string, body: unknown) => Reply | undefined;

function cli(routes: Route, options: { tty?: boolean; columns?: number } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: Array<{ method: string; path: string; auth: string | null; body: unknown }> = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const auth = new Headers(init?.headers).get('authorization');
    requests.push({ method: init?.method ?? 'GET', path: url.pathname + url.search, auth, body });
    const reply = routes(init?.method ?? 'GET', url.pathname + url.search, body) ?? { status: 404, body: { error: { code: 'NotFound', message: 'No such route', details: [] } } };
    return new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
  };
  const io: Io = {
    stdout: { write: (t) => { out.push(t); }, isTTY: options.tty ?? false, ...(options.columns ? { columns: options.columns } : {}) },
    stderr: { write: (t) => { err.push(t); } },
    readStdin: async () => '',
    readFile: (path) => { try { return readFileSync(path, 'utf8'); } catch { return undefined; } },
    env: { CODEDANCE_API_URL: 'http://api.test', CODEDANCE_TOKEN: 'tok-0123456789abcdef' },
    home: '/nonexistent-home',
    now: () => T0,
    fetch: fetchImpl,
  };
  return {
    run: (...argv: string[]) => run(argv, io),
    stdout: () => out.join(''), stderr: () => err.join(''), requests,
  };
}

const view = (patch: Partial<RolloutState> = {}) => JSON.parse(JSON.stringify(rolloutView(stateFrom(documentWith({}), patch))));
const ok = (body: unknown): Reply => ({ status: 200, body });
const apiError = (status: number, code: string, message: string, details: Array<{ path: string; message: string }> = []): Reply => ({ status, body: { error: { code, message, details } } });
/** Answers GET /rollouts/ro_test with each state in turn, then keeps the last. */
const sequence = (...states: Array<Partial<RolloutState> | Reply>): Route => {
  let i = 0;
  return (method, path) => {
    if (method !== 'GET' || path !== '/rollouts/ro_test') return undefined;
    const next = states[Math.min(i++, states.length - 1)]!;
    return 'status' in next && 'body' in next ? (next as Reply) : ok(view(next as Partial<RolloutState>));
  };
};

function releaseAnswer(patch: Partial<ReleaseStatus>) {
  const { document, plan } = parseReleaseDocument(parse(readFileSync('examples/cli/release.yaml', 'utf8')));
  return JSON.parse(JSON.stringify(releaseView({ ...newReleaseStatus('rel_test', plan, { id: 'alice', via: 'api' }, T0), ...patch, plan, document })));
}

describe('codedance (in-process, scripted API)', () => {
  it('get prints the rollout and sends the bearer token', async () => {
    const c = cli(sequence({ phase: 'Progressing', stepIndex: 1, canaryWeight: 50 }));
    expect(await c.run('get', 'ro_test')).toBe(0);
    expect(c.stdout()).toMatch(/^Weight:\s+\[##########----------\]  50%$/m);
    expect(c.requests[0]?.auth).toBe('Bearer tok-0123456789abcdef');
  });

  it('-o json prints the answer as sent, fields the CLI does not read included', async () => {
    const c = cli(sequence({ phase: 'Progressing' }));
    expect(await c.run('get', 'ro_test', '-o', 'json')).toBe(0);
    expect(JSON.parse(c.stdout())).toMatchObject({ id: 'ro_test', document: { kind: 'CanaryDeployment' }, spec: { targetDeployment: 'myapp' } });
  });

  it('list sends its filters as the query', async () => {
    const c = cli((_m, path) => (path.startsWith('/rollouts?') ? ok({ items: [view()] }) : undefined));
    expect(await c.run('list', '--phase', 'Paused', '--cluster', 'eu', '--namespace', 'prod', '--limit', '5')).toBe(0);
    expect(c.requests[0]?.path).toBe('/rollouts?phase=Paused&cluster=eu&namespace=prod&limit=5');
    expect(c.stdout()).toContain('ro_test');
  });

  it('a 403 names the missing role and exits 4', async () => {
    const c = cli(() => apiError(403, 'Forbidden', 'This action needs the approver role; token "ci" has deployer', [{ path: 'role', message: 'requires approver' }]));
    expect(await c.run('approve', 'ro_test', '--comment', 'looks good')).toBe(4);
    expect(c.stderr()).toContain('error: Forbidden (HTTP 403): This action needs the approver role');
    expect(c.stderr()).toContain('  role: requires approver');
    expect(c.stderr()).toContain('`codedance approve` needs a token with the approver role (or admin)');
    expect(c.requests[0]).toMatchObject({ method: 'POST', path: '/rollouts/ro_test/approve', body: { comment: 'looks good' } });
  });

  it('a 401 exits 4 and says which settings hold the token', async () => {
    const c = cli(() => apiError(401, 'Unauthorized', 'The token is not valid'));
    expect(await c.run('releases', 'cancel', 'rel_test')).toBe(4);
    expect(c.stderr()).toMatch(/`codedance releases cancel` needs a token with the deployer role.*CODEDANCE_TOKEN/);
  });

  it('a refusal of the API prints every field path and exits 2', async () => {
    const c = cli((m, path) => (m === 'POST' && path === '/rollouts' ? apiError(400, 'ValidationFailed', 'The CanaryDeployment is invalid', [{ path: 'spec.cluster', message: 'must be one of: default, eu-prod' }]) : undefined));
    expect(await c.run('apply', '-f', 'examples/myapp.yaml')).toBe(2);
    expect(c.stderr()).toContain('  spec.cluster: must be one of: default, eu-prod');
  });

  it('a bad file is refused before anything is sent, exit 2', async () => {
    const c = cli(() => ok({}));
    expect(await c.run('apply', '-f', 'examples/cli/bad-rollout.yaml')).toBe(2);
    expect(c.stderr()).toContain('spec.strategy.steps[0].weight: must be between 1 and 100');
    expect(c.requests).toHaveLength(0);
  });

  it.each([[['apply'], /required option '-f, --file/], [['get', 'nope'], /must start with ro_/], [['list', '--limit', '999'], /--limit: must be a whole number/], [['watch', 'ro_test', '--timeout', 'soon'], /--timeout: must be a duration/]])('usage error %j exits 2', async (argv, message) => {
    const c = cli(sequence({ phase: 'Progressing' }));
    expect(await c.run(...argv)).toBe(2);
    expect(c.stderr()).toMatch(message);
  });

  describe('watch', () => {
    it('appends a frame only when it changed (not a TTY) and exits 0 on Completed', async () => {
      const c = cli(sequence({ phase: 'Progressing', stepIndex: 0, canaryWeight: 10 }, { phase: 'Progressing', stepIndex: 0, canaryWeight: 10 }, { phase: 'Progressing', stepIndex: 1, canaryWeight: 50 }, { phase: 'Completed', stepIndex: 2, canaryWeight: 0, message: 'Completed: myapp runs myapp:v2.0.0' }));
      expect(await c.run('watch', 'ro_test', '--interval', '1ms')).toBe(0);
      const frames = c.stdout().split('\n').filter((l) => l.startsWith('phase '));
      expect(frames.map((l) => l.replace(/\s+health.*/, ''))).toEqual([
        'phase Progressing   step 1/3   [##------------------]  10%',
        'phase Progressing   step 2/3   [##########----------]  50%',
        'phase Completed   step 3/3   [--------------------]   0%',
      ]);
      expect(c.stdout()).not.toContain('\x1b[');
      expect(c.stdout().trimEnd().endsWith('last: Completed: myapp runs myapp:v2.0.0')).toBe(true);
    });

    it('redraws in place on a TTY', async () => {
      const c = cli(sequence({ phase: 'Progressing', canaryWeight: 10, stepIndex: 0 }, { phase: 'Progressing', canaryWeight: 10, stepIndex: 0 }, { phase: 'Completed', canaryWeight: 0, stepIndex: 2 }), { tty: true });
      expect(await c.run('watch', 'ro_test', '--interval', '1ms')).toBe(0);
      // Three frames of three lines: the second and third each first move up three lines and clear.
      expect(c.stdout().split('\x1b[3F\x1b[0J')).toHaveLength(3);
    });

    it('cuts frame lines to the terminal width so the redraw stays aligned', async () => {
      const c = cli(sequence({ phase: 'Completed', canaryWeight: 0, stepIndex: 2 }), { tty: true, columns: 40 });
      expect(await c.run('watch', 'ro_test')).toBe(0);
      const lines = c.stdout().trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      for (const line of lines) expect(line.length).toBeLessThan(40);
      expect(lines[1]).toMatch(/^phase Completed .*~$/);
    });

    it('exits 1 when the rollout fails', async () => {
      const c = cli(sequence({ phase: 'Progressing' }, { phase: 'Failed', failure: { reason: 'PodCrash', message: 'canary pod x is CrashLoopBackOff (restarts: 1)' } }));
      expect(await c.run('watch', 'ro_test', '--interval', '1ms')).toBe(1);
      expect(c.stdout()).toContain('last: canary pod x is CrashLoopBackOff');
    });

    it('exits 3 on --timeout, saying where the rollout is', async () => {
      const c = cli(sequence({ phase: 'Paused', stepIndex: 0, canaryWeight: 10, pause: { reason: 'AwaitingApproval', since: T0.toISOString(), message: 'waiting' } }));
      expect(await c.run('watch', 'ro_test', '--interval', '5ms', '--timeout', '40ms')).toBe(3);
      expect(c.stderr()).toMatch(/Timed out after 40ms; rollout ro_test is still Paused at step 1\/3/);
    });

    it('rides out a 503 from the API and keeps watching', async () => {
      const c = cli(sequence({ phase: 'Progressing' }, apiError(503, 'ServiceUnavailable', 'try again'), { phase: 'Completed' }));
      expect(await c.run('watch', 'ro_test', '--interval', '1ms')).toBe(0);
      expect(c.stderr()).toContain('warning: try again (retrying)');
    });

    it('a 404 ends the watch at once with exit 2', async () => {
      const c = cli(sequence(apiError(404, 'NotFound', 'No rollout has that id')));
      expect(await c.run('watch', 'ro_test', '--interval', '1ms')).toBe(2);
    });
  });

  describe('releases', () => {
    it('get prints the service × cluster matrix', async () => {
      const c = cli((_m, path) => (path === '/releases/rel_test' ? ok(releaseAnswer({ phase: 'Running' })) : undefined));
      expect(await c.run('releases', 'get', 'rel_test')).toBe(0);
      expect(c.stdout()).toMatch(/^SERVICE\s+c1\s+c2\s+c3$/m);
      expect(c.stdout()).toMatch(/^payments\s+Pending\s+Pending\s+Pending$/m);
    });

    it.each([['Completed', 0], ['Failed', 1], ['Cancelled', 1]] as const)('watch ends on %s with exit %i', async (phase, code) => {
      let polls = 0;
      const c = cli((_m, path) => (path === '/releases/rel_test' ? ok(releaseAnswer({ phase: polls++ === 0 ? 'Running' : phase })) : undefined));
      expect(await c.run('releases', 'watch', 'rel_test', '--interval', '1ms')).toBe(code);
      expect(c.stdout()).toContain(`phase ${phase}`);
    });

    it('approve sends the wave and needs the approver role', async () => {
      const c = cli((m, path) => (m === 'POST' && path === '/releases/rel_test/approve' ? ok({ ...releaseAnswer({ phase: 'Running' }), alreadyDone: false }) : undefined));
      expect(await c.run('releases', 'approve', 'rel_test', '--wave', 'rest', '--comment', 'go')).toBe(0);
      expect(c.requests[0]?.body).toEqual({ wave: 'rest', comment: 'go' });
      expect(c.stdout()).toContain('approve rel_test: accepted');
    });
  });
});
