import { describe, expect, it } from 'vitest';
import { UnknownClusterError } from '../../lib/app/errors.js';
import { LazyClusterRegistry, type LoadedRegistry } from '../../lib/adapters/lazy-cluster-registry.js';
import type { RolloutState } from '../../lib/domain/state.js';
import type { CanaryObjects } from '../../lib/ports/canary-objects.js';
import { exampleDocument, stateFrom } from '../support/fixtures.js';

/** A loaded registry that records what reached it. */
function loaded(calls: string[]): LoadedRegistry {
  const objects = (cluster: string): CanaryObjects => ({
    list: async (namespaces) => { calls.push(`${cluster} list ${namespaces?.join(',') ?? '*'}`); return []; },
    get: async (namespace, name) => { calls.push(`${cluster} get ${namespace}/${name}`); return undefined; },
    create: async (_doc, rolloutId) => { calls.push(`${cluster} create ${rolloutId}`); },
    writeStatus: async (namespace, name, status) => { calls.push(`${cluster} writeStatus ${namespace}/${name} ${status.phase}`); },
    recordEvent: async (namespace, name, _uid, event) => { calls.push(`${cluster} event ${namespace}/${name} ${event.reason}`); },
  });
  return {
    names: () => ['east', 'west'],
    get: () => { throw new Error('not used'); },
    objects,
    mirror: async (state: RolloutState) => { calls.push(`mirror ${state.id}`); },
  };
}

describe('LazyClusterRegistry: CanaryDeployment objects and the status mirror', () => {
  it('loads the Kubernetes adapter only when an object call is made, once', async () => {
    // Prepare
    const calls: string[] = [];
    let loads = 0;
    const registry = new LazyClusterRegistry(['east', 'west'], async () => { loads++; return loaded(calls); });

    // Act
    const east = registry.objects('east');
    const before = loads;
    await east.list();
    await registry.objects('west').list(['shop']);
    await east.writeStatus('shop', 'web', { phase: 'Failed', weight: 0, step: '-', message: 'x', conditions: [] });

    // Assess
    expect(before).toBe(0);
    expect(loads).toBe(1);
    expect(calls).toEqual(['east list *', 'west list shop', 'east writeStatus shop/web Failed']);
  });

  it('refuses an unknown cluster at once, and mirrors only rollouts of known clusters', async () => {
    const calls: string[] = [];
    const registry = new LazyClusterRegistry(['east'], async () => loaded(calls));
    expect(() => registry.objects('nowhere')).toThrow(UnknownClusterError);
    const state = stateFrom(exampleDocument('myapp'), { id: 'ro_1' });
    await registry.mirror({ ...state, spec: { ...state.spec, cluster: 'east' } });
    await registry.mirror({ ...state, id: 'ro_2', spec: { ...state.spec, cluster: 'nowhere' } });
    await registry.mirror({ ...state, id: 'ro_3', spec: { ...state.spec, cluster: 'nowhere' }, source: { cluster: 'east', namespace: 'production', name: 'myapp', uid: 'u', generation: 1 } });
    expect(calls).toEqual(['mirror ro_1', 'mirror ro_3']);
  });

  it('never throws from recordEvent, even when the adapter cannot be loaded', async () => {
    const registry = new LazyClusterRegistry(['east'], async () => { throw new Error('cannot load'); });
    await expect(registry.objects('east').recordEvent('shop', 'web', 'u', { type: 'Warning', reason: 'InvalidSpec', message: 'x' })).resolves.toBeUndefined();
    await expect(registry.objects('east').list()).rejects.toThrow('cannot load');
  });
});
