import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyReleaseAction } from '../../lib/domain/release-actions.js';
import { planRelease, type RolloutSnapshot } from '../../lib/domain/release-planner.js';
import { newReleaseStatus, parseReleaseDocument, type ReleaseState, type ReleaseStatus } from '../../lib/domain/release.js';
import { ValidationError } from '../../lib/domain/validation.js';

const T0 = new Date('2026-11-25T01:30:00Z'); // a Wednesday, 02:30 in Berlin
const person = { id: 'alice', via: 'api' } as const;

function releaseDoc(overrides: Record<string, unknown> = {}, services = 6) {
  return {
    apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'Release', metadata: { name: 'sdk-2-4' },
    spec: {
      templates: { quick: { strategy: { type: 'Linear', steps: [{ weight: 50, pause: '1s' }, { weight: 100, pause: '0s' }] } } },
      services: Array.from({ length: services }, (_, i) => ({ targetDeployment: `svc-${i}`, namespace: 'prod', image: `svc-${i}:2.4`, template: 'quick' })),
      waves: [
        { name: 'canary-cluster', clusters: ['c1'], maxParallel: 2 },
        { name: 'rest', clusters: ['c2', 'c3'], maxParallel: 4 },
      ],
      ...overrides,
    },
  };
}

function newRelease(overrides: Record<string, unknown> = {}, services = 6): ReleaseState {
  const { document, plan } = parseReleaseDocument(releaseDoc(overrides, services));
  return { ...newReleaseStatus('rel_test', plan, person, T0), plan, document };
}

/** Feeds the planner's status back in, as the store would. */
const next = (release: ReleaseState, status: ReleaseStatus): ReleaseState => ({ ...release, ...status });
const snapshots = (entries: Array<[string, RolloutSnapshot]>) => new Map(entries);
const started = (release: ReleaseState, phase: RolloutSnapshot['phase'], filter: (i: ReleaseState['items'][number]) => boolean, reason?: string) =>
  snapshots(release.items.filter(filter).map((i) => [i.rolloutId, { phase, ...(reason ? { reason } : {}) }]));
/** Marks the items the planner picked as running, the way advanceRelease records successful starts. */
const markStarted = (release: ReleaseState, step: ReturnType<typeof planRelease>): ReleaseState => {
  const ids = new Set(step.starts.map((s) => s.rolloutId));
  return next(release, { ...step.status, items: step.status.items.map((i) => (ids.has(i.rolloutId) ? { ...i, phase: 'Initializing' as const } : i)) });
};

describe('release document', () => {
  it('names every problem with its field path', () => {
    const doc = releaseDoc({
      services: [{ targetDeployment: 'svc-0', image: 'svc:1', template: 'missing', colour: 'blue' }],
      waves: [{ name: 'one', clusters: ['c1'] }, { name: 'one', clusters: ['c1'], maxParallel: 0 }],
      schedule: { windows: ['weekdays at night'] },
    });
    try {
      parseReleaseDocument(doc);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).details.map((d) => d.path);
      expect(paths).toEqual(expect.arrayContaining([
        'spec.services[0].colour', 'spec.waves[1].maxParallel', 'spec.schedule.windows[0]',
      ]));
      const details = (error as ValidationError).details;
      expect(details.find((d) => d.path === 'spec.schedule.windows[0]')?.message).toMatch(/Mon-Fri 02:00-05:00 Europe\/Berlin/);
    }
  });

  it('refuses a cluster in two waves, a wave name used twice and an unknown template', () => {
    const doc = releaseDoc({
      services: [{ targetDeployment: 'svc-0', image: 'svc:1', template: 'missing' }],
      waves: [{ name: 'one', clusters: ['c1'] }, { name: 'one', clusters: ['c1'] }],
    });
    const problems = (() => { try { parseReleaseDocument(doc); return []; } catch (e) { return (e as ValidationError).details; } })();
    expect(problems).toEqual(expect.arrayContaining([
      { path: 'spec.waves[1].name', message: 'wave name "one" is used twice' },
      { path: 'spec.waves[1].clusters[0]', message: 'cluster "c1" is already in wave "one"' },
      { path: 'spec.services[0].template', message: 'no template named "missing" in spec.templates' },
    ]));
  });

  it('reads the README example', () => {
    const { plan } = parseReleaseDocument(parse(readFileSync('examples/releases/sdk-upgrade.yaml', 'utf8')));
    expect(plan.waves.map((w) => `${w.name}:${w.maxParallel}:${w.approval}`)).toEqual(['canary-cluster:2:false', 'europe:4:true', 'americas:4:false']);
    expect(plan.services.find((s) => s.name === 'ledger')?.template.strategy?.type).toBe('Manual');
    expect(plan.services.find((s) => s.name === 'ledger')?.template.metrics?.successRate?.threshold).toBe(99);
  });

  it('gives every service × cluster a fixed rollout id, the same on every read', () => {
    const a = newRelease();
    const b = newRelease();
    expect(a.items).toHaveLength(6 * 3);
    expect(a.items.map((i) => i.rolloutId)).toEqual(b.items.map((i) => i.rolloutId));
    expect(new Set(a.items.map((i) => i.rolloutId)).size).toBe(18);
  });
});

describe('wave planner', () => {
  it('starts the first wave at once, at most maxParallel per cluster, in service order', () => {
    const step = planRelease(newRelease(), new Map(), T0);
    expect(step.status.phase).toBe('Running');
    expect(step.status.waves.map((w) => w.phase)).toEqual(['Running', 'Pending']);
    expect(step.starts.map((s) => `${s.service}@${s.cluster}`)).toEqual(['svc-0@c1', 'svc-1@c1']);
    expect(step.events.map((e) => e.type)).toEqual(['WaveStarted']);
  });

  it('fills freed slots as rollouts finish, never exceeding maxParallel', () => {
    let release = markStarted(newRelease(), planRelease(newRelease(), new Map(), T0));
    const first = release.items.filter((i) => i.phase === 'Initializing');
    const step = planRelease(release, snapshots([[first[0]!.rolloutId, { phase: 'Completed' }], [first[1]!.rolloutId, { phase: 'Progressing' }]]), T0);
    expect(step.starts.map((s) => s.service)).toEqual(['svc-2']);
    expect(step.events.map((e) => e.type)).toEqual(['RolloutCompleted']);
    release = markStarted(release, step);
    expect(release.items.filter((i) => i.phase === 'Initializing' || i.phase === 'Progressing')).toHaveLength(2);
  });

  it('advances to the next wave in the same pass once every rollout of a wave completed, per-cluster parallelism', () => {
    const release = newRelease();
    const step = planRelease(release, started(release, 'Completed', (i) => i.cluster === 'c1'), T0);
    expect(step.status.waves.map((w) => w.phase)).toEqual(['Completed', 'Running']);
    expect(step.starts.filter((s) => s.cluster === 'c2')).toHaveLength(4);
    expect(step.starts.filter((s) => s.cluster === 'c3')).toHaveLength(4);
    expect(step.events.map((e) => e.type)).toEqual([...Array(6).fill('RolloutCompleted'), 'WaveStarted', 'WaveCompleted', 'WaveStarted']);
  });

  it('completes the release when the last wave completes', () => {
    const release = newRelease();
    const step = planRelease(release, started(release, 'Completed', () => true), T0);
    expect(step.status.phase).toBe('Completed');
    expect(step.status.message).toBe('All 18 rollouts completed');
    expect(step.starts).toEqual([]);
  });

  it('waits for notBefore', () => {
    const step = planRelease(newRelease({ schedule: { notBefore: '2026-11-25T02:00:00Z' } }), new Map(), T0);
    expect(step.starts).toEqual([]);
    expect(step.status.phase).toBe('Pending');
    expect(step.status.message).toBe('Scheduled: starts after 2026-11-25T02:00:00.000Z');
  });

  it('starts nothing outside the maintenance windows and says when the next one opens', () => {
    const step = planRelease(newRelease({ schedule: { windows: ['Mon-Fri 03:00-05:00 Europe/Berlin'] } }), new Map(), T0);
    expect(step.starts).toEqual([]);
    expect(step.status.message).toMatch(/Outside the maintenance windows: 0 running, no new starts until 2026-11-25T02:00:00.000Z/);
  });

  it('a window closing mid-wave lets running rollouts run but starts no new ones', () => {
    const spec = { schedule: { windows: ['Mon-Fri 02:00-03:00 Europe/Berlin'] } };
    const release = markStarted(newRelease(spec), planRelease(newRelease(spec), new Map(), T0));
    const later = new Date('2026-11-25T02:10:00Z'); // 03:10 Berlin: closed
    const running = release.items.filter((i) => i.phase === 'Initializing');
    const step = planRelease(release, snapshots([[running[0]!.rolloutId, { phase: 'Completed' }], [running[1]!.rolloutId, { phase: 'Progressing' }]]), later);
    expect(step.starts).toEqual([]);
    expect(step.status.items.find((i) => i.rolloutId === running[1]!.rolloutId)?.phase).toBe('Progressing');
    expect(step.status.message).toMatch(/1 running, no new starts/);
  });

  it('asks for approval before a gated wave and starts it once approved', () => {
    const spec = { waves: [{ name: 'canary-cluster', clusters: ['c1'], maxParallel: 6 }, { name: 'rest', clusters: ['c2', 'c3'], maxParallel: 4, approval: true }] };
    const release = newRelease(spec);
    const waiting = planRelease(release, started(release, 'Completed', (i) => i.cluster === 'c1'), T0);
    expect(waiting.status.waves[1]?.phase).toBe('AwaitingApproval');
    expect(waiting.starts).toEqual([]);
    expect(waiting.events.at(-1)?.type).toBe('WaveAwaitingApproval');
    const approved = applyReleaseAction(waiting.status, { kind: 'approve', actor: person }, T0);
    expect(approved.event?.message).toBe('Wave rest approved by alice');
    const going = planRelease(next(release, approved.status), new Map(), T0);
    expect(going.status.waves[1]?.phase).toBe('Running');
    expect(going.starts).toHaveLength(8);
  });

  it('halts on a failure: nothing new starts, later waves are cancelled, running ones finish, then Failed', () => {
    const spec = { waves: [{ name: 'canary-cluster', clusters: ['c1'], maxParallel: 3 }, { name: 'rest', clusters: ['c2', 'c3'], maxParallel: 4 }] };
    let release = markStarted(newRelease(spec), planRelease(newRelease(spec), new Map(), T0));
    const [a, b, c] = release.items.filter((i) => i.phase === 'Initializing');
    const halting = planRelease(release, snapshots([
      [a!.rolloutId, { phase: 'Failed', reason: 'PodCrash: canary pods crash-looping' }], [b!.rolloutId, { phase: 'Progressing' }], [c!.rolloutId, { phase: 'Completed' }],
    ]), T0);
    expect(halting.starts).toEqual([]);
    expect(halting.status.phase).toBe('Halting');
    expect(halting.status.waves.map((w) => w.phase)).toEqual(['Failed', 'Cancelled']);
    expect(halting.status.haltReason).toBe('svc-0 in c1 failed: PodCrash: canary pods crash-looping');
    expect(halting.status.items.filter((i) => i.phase === 'Cancelled')).toHaveLength(3 + 12);
    expect(halting.events.map((e) => e.type)).toEqual(['RolloutFailed', 'RolloutCompleted', 'ReleaseHalted']);
    release = next(release, halting.status);
    const failed = planRelease(release, snapshots([[b!.rolloutId, { phase: 'Completed' }]]), T0);
    expect(failed.status.phase).toBe('Failed');
    expect(failed.events.map((e) => e.type)).toEqual(['RolloutCompleted', 'ReleaseFailed']);
  });

  it('with haltOnFailure false a failure is recorded and the release goes on', () => {
    const release = newRelease({ haltOnFailure: false });
    const observed = started(release, 'Completed', (i) => i.cluster === 'c1' && i.service !== 'svc-3');
    observed.set(release.items.find((i) => i.cluster === 'c1' && i.service === 'svc-3')!.rolloutId, { phase: 'Failed', reason: 'MetricsFailed: errorRate' });
    const step = planRelease(release, observed, T0);
    expect(step.status.waves.map((w) => w.phase)).toEqual(['Completed', 'Running']);
    expect(step.starts).toHaveLength(8);
  });

  it('a paused release starts nothing; resume goes back to where it was', () => {
    const release = newRelease();
    const paused = applyReleaseAction(release, { kind: 'pause', actor: person }, T0);
    expect(planRelease(next(release, paused.status), new Map(), T0).starts).toEqual([]);
    const resumed = applyReleaseAction(paused.status, { kind: 'resume', actor: person }, T0);
    expect(resumed.status.phase).toBe('Pending');
    expect(planRelease(next(release, resumed.status), new Map(), T0).starts).toHaveLength(2);
  });

  it('cancel aborts running rollouts and cancels everything not started; a second cancel changes nothing', () => {
    const release = markStarted(newRelease(), planRelease(newRelease(), new Map(), T0));
    const cancelled = applyReleaseAction(release, { kind: 'cancel', actor: person, comment: 'wrong version' }, T0);
    expect(cancelled.abort).toHaveLength(2);
    expect(cancelled.status.phase).toBe('Cancelled');
    expect(cancelled.status.items.filter((i) => i.phase === 'Cancelled')).toHaveLength(16);
    expect(applyReleaseAction(cancelled.status, { kind: 'cancel', actor: person }, T0).alreadyDone).toBe(true);
    expect(() => applyReleaseAction(cancelled.status, { kind: 'pause', actor: person }, T0)).toThrow(/Cancelled; it can no longer be paused/);
  });
});
