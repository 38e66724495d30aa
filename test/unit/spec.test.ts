import { describe, expect, it } from 'vitest';
import { parseCanaryDeployment } from '../../lib/domain/spec.js';
import { ValidationError, type FieldProblem } from '../../lib/domain/validation.js';
import { documentWith, exampleDocument } from '../support/fixtures.js';

function problems(document: unknown): FieldProblem[] {
  try {
    parseCanaryDeployment(document);
  } catch (error) {
    if (error instanceof ValidationError) return error.details;
    throw error;
  }
  throw new Error('expected the document to be rejected');
}

describe('CanaryDeployment spec', () => {
  it('accepts order-service.yaml as written and applies its thresholds', () => {
    const { spec } = parseCanaryDeployment(exampleDocument('order-service'));
    expect(spec).toMatchObject({ name: 'order-service', namespace: 'production', targetDeployment: 'order-service', canaryImage: 'order-service:v2.0.0', strategy: 'Linear' });
    expect(spec.steps).toEqual([
      { weight: 5, pauseMs: 600_000, approval: false },
      { weight: 25, pauseMs: 600_000, approval: false },
      { weight: 100, pauseMs: 0, approval: false },
    ]);
    expect(spec.thresholds).toMatchObject({ successRate: 99.9, errorRate: 0.1, latencyMs: { p99: 300 } });
    expect(spec.autoRollback).toEqual({ enabled: true, onMetricsFail: true, onPodCrash: true });
  });

  it('accepts myapp.yaml as written', () => {
    const { spec } = parseCanaryDeployment(exampleDocument('myapp'));
    expect(spec.steps.map((s) => [s.weight, s.pauseMs])).toEqual([[10, 300_000], [50, 600_000], [100, 0]]);
    expect(spec.thresholds).toMatchObject({ successRate: 99, errorRate: 1, latencyMs: { p99: 500 } });
  });

  it.each([
    ['Linear', [5, 10, 25, 50, 75, 100], false],
    ['Exponential', [1, 5, 10, 25, 50, 100], false],
    ['Manual', [5, 10, 25, 50, 75, 100], true],
  ] as const)('generates the %s ladder when no steps are given', (type, weights, approval) => {
    const { spec } = parseCanaryDeployment(documentWith({ strategy: { type } }));
    expect(spec.steps.map((s) => s.weight)).toEqual(weights);
    expect(spec.steps.every((s) => s.approval === approval)).toBe(true);
    expect(spec.steps.at(-1)?.pauseMs).toBe(0);
  });

  it('applies the product defaults when metrics are omitted', () => {
    const { metrics: _m, ...rest } = exampleDocument('myapp').spec as Record<string, unknown>;
    const { spec } = parseCanaryDeployment({ ...exampleDocument('myapp'), spec: rest });
    expect(spec.thresholds).toMatchObject({ successRate: 99, errorRate: 1, latencyMs: { p99: 500 } });
    expect(spec.cluster).toBe('default');
    expect(spec.trafficRouting).toMatchObject({ provider: 'istio', routeObject: 'myapp', destinationRule: 'myapp' });
  });

  it('gates chosen steps and promotion through spec.approvals', () => {
    const { spec } = parseCanaryDeployment(documentWith({ approvals: { beforeSteps: [2], beforePromotion: true } }));
    expect(spec.steps.map((s) => s.approval)).toEqual([false, true, false]);
    expect(spec.approvalBeforePromotion).toBe(true);
  });

  it.each([
    ['weights not strictly increasing', { strategy: { type: 'Linear', steps: [{ weight: 50, pause: '1m' }, { weight: 20, pause: '1m' }, { weight: 100 }] } }, 'spec.strategy.steps[1].weight', /strictly increasing/],
    ['a weight above 100', { strategy: { type: 'Linear', steps: [{ weight: 150 }] } }, 'spec.strategy.steps[0].weight', /between 1 and 100/],
    ['a weight of 0', { strategy: { type: 'Linear', steps: [{ weight: 0 }, { weight: 100 }] } }, 'spec.strategy.steps[0].weight', /between 1 and 100/],
    ['a last step below 100', { strategy: { type: 'Linear', steps: [{ weight: 10 }, { weight: 50 }] } }, 'spec.strategy.steps[1].weight', /last step/],
    ['a bad duration', { strategy: { type: 'Linear', steps: [{ weight: 100, pause: '10 minutes' }] } }, 'spec.strategy.steps[0].pause', /duration/],
    ['a bad latency duration', { metrics: { latency: { p99: 'fast' } } }, 'spec.metrics.latency.p99', /./],
    ['an unknown strategy type', { strategy: { type: 'BlueGreen' } }, 'spec.strategy.type', /Linear, Exponential, Manual/],
    ['an unknown field', { replicas: 3 }, 'spec.replicas', /not a known field/],
    ['a missing target', { targetDeployment: undefined }, 'spec.targetDeployment', /required/],
    ['a missing image', { canaryVersion: undefined }, 'spec.canaryVersion', /required/],
    ['a target that is not a Kubernetes name', { targetDeployment: 'My_App' }, 'spec.targetDeployment', /Kubernetes name/],
  ])('rejects %s naming the field', (_case, patch, path, rule) => {
    const found = problems(documentWith(patch));
    const problem = found.find((p) => p.path === path);
    expect(problem, JSON.stringify(found)).toBeDefined();
    expect(problem?.message).toMatch(rule);
  });

  it('rejects a name and a namespace that are not Kubernetes names', () => {
    const found = problems(documentWith({}, { name: 'Order Service', namespace: '-prod' }));
    expect(found.map((p) => p.path)).toEqual(expect.arrayContaining(['metadata.name', 'metadata.namespace']));
  });

  it('lists every problem at once', () => {
    const found = problems(documentWith({ targetDeployment: undefined, canaryVersion: undefined, strategy: { type: 'Nope' }, colour: 'blue' }));
    expect(found.map((p) => p.path).sort()).toEqual(['spec.canaryVersion', 'spec.colour', 'spec.strategy.type', 'spec.targetDeployment']);
  });
});

describe('comparison judge settings', () => {
  it('is off unless asked for, with defaults once enabled', () => {
    expect(parseCanaryDeployment(exampleDocument('myapp')).spec.analysis.comparison).toBeUndefined();
    const { spec } = parseCanaryDeployment(documentWith({ analysis: { compareWithStable: { minEffect: { latency: '50ms' } } } }));
    expect(spec.analysis.comparison).toEqual({ confidence: 0.95, minEffect: { errorRatePoints: 0.5, latencyMs: 50 } });
  });

  it('rejects a confidence outside (0.5, 1)', () => {
    expect(() => parseCanaryDeployment(documentWith({ analysis: { compareWithStable: { confidence: 95 } } }))).toThrow(ValidationError);
  });
});
