import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLua } from '../../infra/local/system-packages.js';
import { invalidSpecStatus, objectStatus } from '../../lib/domain/object-status.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { exampleDocument, stateFrom, T0 } from '../support/fixtures.js';

/**
 * The Argo CD health check (infra/k8s/argocd-health.lua) run by a real Lua interpreter (Debian's lua5.4,
 * installed by infra/local/system-packages.ts when missing), over objects whose status is what the engine
 * writes (lib/domain/object-status.ts). Argo CD runs the script with the object as the global `obj`.
 */
const SCRIPT = fileURLToPath(new URL('../../infra/k8s/argocd-health.lua', import.meta.url));
const run = promisify(execFile);

/** A Lua string literal: byte-exact, every special or control character escaped. */
function luaString(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte < 0x20 || byte === 0x7f) out += `\\${String(byte).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  // Non-ASCII bytes were appended as Latin-1 code points; write them back as the UTF-8 bytes they were.
  return `${out}"`;
}

/** A JSON value as a Lua table constructor (what Argo CD hands the script: objects and arrays as tables). */
function luaValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a JSON number: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{ ${value.map(luaValue).join(', ')} }`;
  return `{ ${Object.entries(value as Record<string, unknown>).map(([k, v]) => `[${luaString(k)}] = ${luaValue(v)}`).join(', ')} }`;
}

interface Health { status: string; message: string }

let dir: string;
let lua: string;

/** Runs the health check once per object, in one interpreter, and returns what each returned. */
async function assess(objects: unknown[]): Promise<Health[]> {
  const harness = [
    `local script = ${luaString(SCRIPT)}`,
    'local objects = {}',
    ...objects.map((o, i) => `objects[${i + 1}] = ${luaValue(o)}`),
    `for i = 1, ${objects.length} do`,
    '  obj = objects[i]',
    '  local hs = dofile(script)',
    '  io.write(tostring(hs.status), "\\t", (string.gsub(tostring(hs.message), "[\\t\\n]", " ")), "\\n")',
    'end',
  ].join('\n');
  const file = join(dir, 'harness.lua');
  writeFileSync(file, harness, 'latin1'); // luaString wrote UTF-8 bytes as Latin-1 characters
  const { stdout } = await run(lua, [file], { encoding: 'buffer' });
  const lines = stdout.toString('utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(objects.length);
  return lines.map((line) => {
    const [status = '', message = ''] = line.split('\t');
    return { status, message };
  });
}

const source = { cluster: 'east', namespace: 'production', name: 'myapp', uid: 'u-1', generation: 2 };
const state = (patch: Partial<RolloutState>): RolloutState => stateFrom(exampleDocument('myapp'), { id: 'ro_1', source, ...patch });
const object = (status: unknown, generation = 2) => ({
  apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment',
  metadata: { name: 'myapp', namespace: 'production', generation },
  spec: { targetDeployment: 'myapp', canaryVersion: 'myapp:v2.0.0' },
  ...(status === undefined ? {} : { status }),
});
const written = (patch: Partial<RolloutState>) => objectStatus(state(patch), undefined, T0);

beforeAll(async () => {
  lua = await ensureLua();
  dir = mkdtempSync(join(tmpdir(), 'codedance-argocd-health-'));
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the Argo CD health check (infra/k8s/argocd-health.lua)', () => {
  const cases: Array<[string, unknown, Health | { status: string; message: RegExp }]> = [
    ['no status yet', object(undefined), { status: 'Progressing', message: 'Waiting for the engine to pick up this CanaryDeployment' }],
    ['an empty status', object({}), { status: 'Progressing', message: 'Waiting for the engine to pick up this CanaryDeployment' }],
    ['a status of an older generation (a new spec was applied)', object(written({ phase: 'Completed', message: 'promoted' }), 3),
      { status: 'Progressing', message: 'Waiting for the engine to pick up generation 3 (the status is of generation 2)' }],
    ['Initializing', object(written({ phase: 'Initializing', message: 'creating the canary' })),
      { status: 'Progressing', message: 'Initializing (step 0/3, 0% on the canary): creating the canary' }],
    ['Progressing', object(written({ phase: 'Progressing', stepIndex: 1, canaryWeight: 50, message: 'step 2 of 3 healthy' })),
      { status: 'Progressing', message: 'Progressing (step 2/3, 50% on the canary): step 2 of 3 healthy' }],
    ['Promoting', object(written({ phase: 'Promoting', stepIndex: 2, canaryWeight: 100, message: 'promoting myapp:v2.0.0' })),
      { status: 'Progressing', message: /^Promoting \(step 3\/3, 100% on the canary\)/ }],
    ['RollingBack', object(written({ phase: 'RollingBack', canaryWeight: 0, failure: { reason: 'PodCrash', message: 'canary pod crash-looping' }, message: 'rolling back' })),
      { status: 'Progressing', message: /^RollingBack/ }],
    ['Paused for an approval', object(written({ phase: 'Paused', pause: { reason: 'AwaitingApproval', since: T0.toISOString(), message: 'waiting for approval of step 2' } })),
      { status: 'Suspended', message: 'AwaitingApproval: waiting for approval of step 2' }],
    ['Paused by a user', object(written({ phase: 'Paused', pause: { reason: 'PausedByUser', since: T0.toISOString(), message: 'paused by alice' } })),
      { status: 'Suspended', message: 'PausedByUser: paused by alice' }],
    ['Completed', object(written({ phase: 'Completed', canaryWeight: 0, message: 'myapp:v2.0.0 promoted' })),
      { status: 'Healthy', message: 'myapp:v2.0.0 promoted' }],
    ['Failed: metrics', object(written({ phase: 'Failed', failure: { reason: 'MetricsFailed', message: 'success rate 91% below 99%' }, message: 'rolled back' })),
      { status: 'Degraded', message: 'MetricsFailed: success rate 91% below 99%' }],
    ['Failed: an invalid spec', object(invalidSpecStatus([{ path: 'spec.strategy.steps[1].weight', message: 'must be greater than the previous step\'s weight (50)' }], 2, undefined, T0)),
      { status: 'Degraded', message: "InvalidSpec: invalid spec, nothing started: spec.strategy.steps[1].weight: must be greater than the previous step's weight (50)" }],
    ['a status written before conditions existed (phase only)', object({ phase: 'Progressing', weight: 12.5, step: '1/3', message: 'step 1' }),
      { status: 'Progressing', message: 'Progressing (step 1/3, 12.5% on the canary): step 1' }],
    ['a legacy Completed status without conditions', object({ phase: 'Completed', weight: 0, step: '3/3', message: '' }),
      { status: 'Healthy', message: 'Completed' }],
    ['a message with quotes, a backslash, a newline and non-ASCII', object({ phase: 'Failed', message: 'said "no" \\ twice\nthen — ünïcödé' }),
      { status: 'Degraded', message: 'Failed: said "no" \\ twice then — ünïcödé' }],
  ];

  it('maps every state the engine writes to the Argo CD health status', async () => {
    // Act
    const results = await assess(cases.map(([, obj]) => obj));

    // Assess
    cases.forEach(([what, , expected], i) => {
      const got = results[i]!;
      expect(got.status, what).toBe(expected.status);
      if (expected.message instanceof RegExp) expect(got.message, what).toMatch(expected.message);
      else expect(got.message, what).toBe(expected.message);
    });
  });

  it('returns only statuses Argo CD knows', async () => {
    const results = await assess(cases.map(([, obj]) => obj));
    for (const r of results) expect(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']).toContain(r.status);
  });
});
