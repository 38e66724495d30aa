import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseApplicable } from '../../cli/documents.js';
import { ApiError, CliError } from '../../cli/errors.js';
import { matrixReasons, renderMatrix, renderRelease } from '../../cli/render-release.js';
import { formatError, formatOutput, renderRollout, renderRolloutList, rolloutFrame, table, weightBar } from '../../cli/render.js';
import { releaseViewSchema, rolloutViewSchema, type ReleaseView } from '../../cli/schemas.js';
import { newReleaseStatus, parseReleaseDocument } from '../../lib/domain/release.js';
import { releaseView } from '../../lib/http/release-view.js';
import { rolloutView } from '../../lib/http/views.js';
import { T0, documentWith, stateFrom } from '../support/fixtures.js';

/** The views are produced by the server's own view functions and parsed as the CLI parses answers. */
const asServed = <T>(view: T): unknown => JSON.parse(JSON.stringify(view));
const rollout = (patch: Parameters<typeof stateFrom>[1] = {}) => rolloutViewSchema.parse(asServed(rolloutView(stateFrom(documentWith({}), patch))));

function release(): ReleaseView {
  const { document, plan } = parseReleaseDocument(parse(readFileSync('examples/cli/release.yaml', 'utf8')));
  const status = newReleaseStatus('rel_test', plan, { id: 'alice', via: 'api' }, T0);
  const items = status.items.map((item) =>
    item.service === 'payments' && item.cluster === 'c1' ? { ...item, phase: 'Failed' as const, reason: 'canary pod payments-canary-x is CrashLoopBackOff' }
      : item.service === 'orders' && item.cluster === 'c1' ? { ...item, phase: 'Progressing' as const } : item);
  return releaseViewSchema.parse(asServed(releaseView({ ...status, items, phase: 'Running', plan, document })));
}

describe('weight bar', () => {
  it.each([[0, '[--------------------]   0%'], [5, '[#-------------------]   5%'], [50, '[##########----------]  50%'], [100, '[####################] 100%'], [130, '[####################] 100%']])('%i%% → %s', (weight, bar) => {
    expect(weightBar(weight)).toBe(bar);
  });

  it('scales to the width asked for', () => {
    expect(weightBar(25, 8)).toBe('[##------]  25%');
  });
});

describe('tables', () => {
  it('pads columns to the widest cell and leaves no trailing spaces', () => {
    expect(table(['A', 'LONG'], [['xyz', '1'], ['q', '22']])).toEqual(['A    LONG', 'xyz  1', 'q    22']);
  });

  it('prints the service × cluster matrix: a row per service, a column per cluster', () => {
    expect(renderMatrix(release())).toEqual([
      'SERVICE   c1           c2       c3',
      'payments  Failed       Pending  Pending',
      'orders    Progressing  Pending  Pending',
    ]);
  });

  it('a release shows its waves, the matrix and why a cell failed', () => {
    const lines = renderRelease(release(), new Date(T0.getTime() + 90_000));
    expect(lines).toContain('Phase:   Running');
    expect(lines.some((l) => /rest: Pending \(clusters c2, c3; 4 at a time; needs approval\)/.test(l))).toBe(true);
    expect(matrixReasons(release())).toEqual(['payments@c1: Failed: canary pod payments-canary-x is CrashLoopBackOff']);
    expect(lines.at(-1)).toBe('  payments@c1: Failed: canary pod payments-canary-x is CrashLoopBackOff');
  });
});

describe('rollout views', () => {
  const paused = () => rollout({
    phase: 'Paused', stepIndex: 0, canaryWeight: 10, message: 'Waiting for approval of step 2/3',
    pause: { reason: 'AwaitingApproval', since: T0.toISOString(), message: 'Waiting for approval of step 2/3', gate: 1 },
    analysis: { failures: 0, consecutiveInconclusive: 0, last: { at: T0.toISOString(), verdict: 'pass', score: 91.6, reason: 'all metrics within thresholds' } },
  });

  it('the watch frame shows step n/N, the weight bar, the health score and the last message', () => {
    expect(rolloutFrame(paused())).toEqual([
      'ro_test  myapp  production/myapp@default  myapp:v2.0.0',
      'phase Paused (AwaitingApproval)   step 1/3   [##------------------]  10%   health 92 (pass)',
      'last: Waiting for approval of step 2/3',
    ]);
  });

  it('a failed rollout shows the failure reason as its last line', () => {
    const failed = rollout({ phase: 'Failed', canaryWeight: 0, failure: { reason: 'PodCrash', message: 'canary pod myapp-canary-1 is CrashLoopBackOff (restarts: 2)' } });
    expect(rolloutFrame(failed).at(-1)).toBe('last: canary pod myapp-canary-1 is CrashLoopBackOff (restarts: 2)');
    expect(renderRollout(failed, T0).filter((l) => /^Phase:\s+Failed \(PodCrash\)$/.test(l))).toHaveLength(1);
  });

  it('the list has one row per rollout under aligned headers', () => {
    const [header, row] = renderRolloutList([paused()], new Date(T0.getTime() + 300_000));
    expect(header).toMatch(/^ID\s+NAME\s+NAMESPACE\s+CLUSTER\s+PHASE\s+STEP\s+WEIGHT\s+HEALTH\s+AGE$/);
    expect(row?.split(/\s{2,}/)).toEqual(['ro_test', 'myapp', 'production', 'default', 'Paused (AwaitingApproval)', '1/3', '10%', '92', '5m']);
  });

  it('json and yaml print the answer as the server sent it, table the lines for people', () => {
    const raw = { id: 'ro_1', extra: { kept: true } };
    expect(JSON.parse(formatOutput('json', raw, () => ['x']))).toEqual(raw);
    expect(parse(formatOutput('yaml', raw, () => ['x']))).toEqual(raw);
    expect(formatOutput('table', raw, () => ['a', 'b'])).toBe('a\nb\n');
  });
});

describe('errors', () => {
  it('prints the API code, status, message and every field path', () => {
    const error = new ApiError(400, 'ValidationFailed', 'The CanaryDeployment is invalid', [
      { path: 'spec.strategy.steps[0].weight', message: 'must be between 1 and 100' },
      { path: 'spec.colour', message: 'is not a known field' },
    ]);
    expect(formatError(error)).toEqual([
      'error: ValidationFailed (HTTP 400): The CanaryDeployment is invalid',
      '  spec.strategy.steps[0].weight: must be between 1 and 100',
      '  spec.colour: is not a known field',
    ]);
  });

  it('a bad file is refused before sending, with every field path', () => {
    const refusal = (() => { try { parseApplicable(readFileSync('examples/cli/bad-rollout.yaml', 'utf8'), 'bad.yaml'); } catch (e) { return e; } })();
    expect(refusal).toBeInstanceOf(CliError);
    expect(formatError(refusal)).toEqual([
      'error: bad.yaml is not a valid CanaryDeployment',
      '  spec.targetDeployment: must be a valid Kubernetes name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
      '  spec.strategy.steps[0].weight: must be between 1 and 100',
      '  spec.strategy.steps[0].pause: must be a duration such as 300ms, 30s, 10m or 1h30m',
      "  spec.strategy.steps[1].weight: must be greater than the previous step's weight (150): weights must be strictly increasing",
      '  spec.colour: is not a known field',
    ]);
  });

  it.each([
    ['kind: [\n', 'not valid YAML or JSON', 'f.yaml:2:1'],
    ['{"kind": "CanaryDeployment", ', 'not valid YAML or JSON', 'f.yaml:1:'],
    ['kind: Deployment\n', 'not a document the API accepts', 'kind'],
    ['kind: Release\napiVersion: deploy.codedance.io/v1alpha1\nmetadata: {name: r}\nspec: {services: [], waves: []}\n', 'not a valid Release', 'spec.services'],
  ])('%j is refused naming %s at %s', (text, what, path) => {
    const refusal = (() => { try { parseApplicable(text, 'f.yaml'); } catch (e) { return e; } })();
    expect(refusal).toBeInstanceOf(CliError);
    expect((refusal as CliError).message).toContain(what);
    expect((refusal as CliError).details[0]?.path.startsWith(path)).toBe(true);
  });

  it('accepts the example documents as they are', () => {
    expect(parseApplicable(readFileSync('examples/myapp.yaml', 'utf8'), 'myapp.yaml').kind).toBe('CanaryDeployment');
    expect(parseApplicable(readFileSync('examples/cli/release.yaml', 'utf8'), 'release.yaml').kind).toBe('Release');
    expect(parseApplicable(JSON.stringify(documentWith({})), 'doc.json').kind).toBe('CanaryDeployment');
  });
});
