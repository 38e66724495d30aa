/**
 * The behaviour every ClusterPort must show, real adapter or fake: idempotent effects, weights read back as
 * written, a canary that becomes available, stable selection narrowed while a canary exists and restored
 * after, the target's image set and set back, a delete that tolerates repetition, and the failures a real
 * apiserver has: a concurrent writer (Conflict), an identity without rights (Forbidden), objects that are
 * gone (NotFound: reported by observe, never thrown; permanent for a write that needs them).
 * Run it with `describeClusterPortContract(name, setup)` from a *.test.ts file.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterPort, RolloutRef } from '../../lib/ports/cluster.js';

export interface ClusterPortContractSubject {
  port: ClusterPort;
  /** The rollout under test; its spec.canaryImage differs from the seeded target's image. */
  rollout: RolloutRef;
  /** Creates the target Deployment, its Services and the route object the spec names. */
  seedTarget(): Promise<void>;
  cleanup(): Promise<void>;
  /**
   * Makes the port's next write meet a concurrent writer: a real apiserver answers 409 to a stale
   * resourceVersion, a fake throws its transient Conflict once. The port may retry or throw a transient error.
   */
  injectConflict?(): Promise<void> | void;
  /**
   * A port acting as an identity that may read but not create or change anything. The contract only calls
   * ensureCanary on it (it may be the same object as `port`: the main port's ensureCanary is not called again).
   */
  forbidden?(): Promise<ClusterPort> | ClusterPort;
  /** Deletes the route object the spec names (VirtualService, Ingress, HTTPRoute) behind the port's back. */
  removeTrafficObject?(): Promise<void> | void;
  /** Deletes the target Deployment behind the port's back. */
  removeTarget?(): Promise<void> | void;
}

export interface ContractOptions {
  /** How long "eventually" may take (real clusters: pods via kwok within seconds). */
  eventuallyMs?: number;
}

export function describeClusterPortContract(
  name: string,
  setup: () => Promise<ClusterPortContractSubject>,
  options: ContractOptions = {},
): void {
  const eventually = <T>(probe: () => Promise<T>) => vi.waitFor(probe, { timeout: options.eventuallyMs ?? 90_000, interval: 500 });

  describe(`ClusterPort contract: ${name}`, () => {
    let subject: ClusterPortContractSubject | undefined;
    const s = (): ClusterPortContractSubject => {
      if (!subject) throw new Error('setup did not complete');
      return subject;
    };
    const observe = () => s().port.observe(s().rollout);
    /** A case that needs an optional hook of the subject; skipped (and said so) when it has none. */
    const optional = (title: string, hook: keyof ClusterPortContractSubject, fn: () => Promise<void>) =>
      it(title, async (ctx) => {
        if (!s()[hook]) ctx.skip(`the subject has no ${hook}()`);
        await fn();
      });

    beforeAll(async () => {
      subject = await setup();
      await subject.seedTarget();
    });

    afterAll(async () => {
      await subject?.cleanup();
    });

    it('ensureCanary is idempotent and narrows stable selection first', async () => {
      // Act
      await s().port.ensureCanary(s().rollout, 2);
      await s().port.ensureCanary(s().rollout, 2);

      // Assess
      const seen = await observe();
      expect(seen.canary).toMatchObject({ exists: true, replicas: 2 });
      expect(seen.stableNarrowed).toBe(true);
      expect(seen.stable).toMatchObject({ exists: true });
      expect(seen.missing ?? []).toEqual([]);
      expect(seen.foreign ?? []).toEqual([]);
    });

    it('the canary eventually becomes available', async () => {
      // Prepare
      await s().port.ensureCanary(s().rollout, 2);

      // Act / Assess
      await eventually(async () => {
        const seen = await observe();
        expect(seen.canary).toMatchObject({ exists: true, available: true });
        expect(seen.canary.crash).toBeUndefined();
      });
    });

    it('setCanaryWeight(25) is what observe() reads back', async () => {
      // Act
      await s().port.setCanaryWeight(s().rollout, 25);

      // Assess
      expect((await observe()).weight).toBe(25);
    });

    it('setCanaryWeight is idempotent and absolute', async () => {
      // Act
      await s().port.setCanaryWeight(s().rollout, 50);
      await s().port.setCanaryWeight(s().rollout, 50);
      const atFifty = (await observe()).weight;
      await s().port.setCanaryWeight(s().rollout, 0);
      await s().port.setCanaryWeight(s().rollout, 0);

      // Assess
      expect(atFifty).toBe(50);
      expect((await observe()).weight).toBe(0);
    });

    optional('a concurrent writer is retried, or reported as a transient Conflict', 'injectConflict', async () => {
      // Prepare
      await s().injectConflict?.();

      // Act: a weight that differs from the current one, so the port must write
      const first = await s().port.setCanaryWeight(s().rollout, 40).then(() => undefined, (err: unknown) => err);
      if (first !== undefined) {
        expect(first).toMatchObject({ failure: 'Conflict', transient: true });
        await s().port.setCanaryWeight(s().rollout, 40); // the next tick
      }

      // Assess
      expect((await observe()).weight).toBe(40);
    });

    it('setStableImage sets the target image and sets the previous one back', async () => {
      // Prepare
      const previous = (await observe()).stable.image;
      expect(previous).toBeDefined();
      expect(previous).not.toBe(s().rollout.spec.canaryImage);

      // Act
      await s().port.setStableImage(s().rollout, s().rollout.spec.canaryImage);
      await s().port.setStableImage(s().rollout, s().rollout.spec.canaryImage);
      const promoted = (await observe()).stable.image;
      await eventually(async () => expect((await observe()).stable).toMatchObject({ image: s().rollout.spec.canaryImage, available: true }));
      await s().port.setStableImage(s().rollout, previous ?? '');

      // Assess
      expect(promoted).toBe(s().rollout.spec.canaryImage);
      await eventually(async () => expect((await observe()).stable).toMatchObject({ exists: true, image: previous, available: true }));
    });

    it('deleteCanary is idempotent, leaves no canary and restores stable selection', async () => {
      // Act
      await s().port.deleteCanary(s().rollout);
      await s().port.deleteCanary(s().rollout);

      // Assess
      const seen = await observe();
      expect(seen.canary).toMatchObject({ exists: false, available: false });
      expect(seen.stableNarrowed).toBe(false);
      expect(seen.weight).toBe(0);
    });

    optional('an identity without rights gets a permanent Forbidden and changes nothing', 'forbidden', async () => {
      // Prepare
      const forbidden = await s().forbidden!();

      // Act
      const attempt = await forbidden.ensureCanary(s().rollout, 2).then(() => undefined, (err: unknown) => err);

      // Assess
      expect(attempt).toMatchObject({ failure: 'Forbidden', permanent: true, transient: false });
      const seen = await observe();
      expect(seen.canary.exists).toBe(false);
      expect(seen.stableNarrowed).toBe(false);
    });

    optional('a missing route object is reported by observe, fails a weight with NotFound, and does not stop deleteCanary', 'removeTrafficObject', async () => {
      // Prepare
      const { namespace, trafficRouting } = s().rollout.spec;
      await s().removeTrafficObject!();

      // Act
      const seen = await observe();
      const write = await s().port.setCanaryWeight(s().rollout, 10).then(() => undefined, (err: unknown) => err);
      await s().port.setCanaryWeight(s().rollout, 0); // back to stable: nothing missing can route to the canary
      await s().port.deleteCanary(s().rollout);

      // Assess
      expect(seen.weight).toBeUndefined();
      expect(seen.missing?.some((m) => m.endsWith(`${namespace}/${trafficRouting.routeObject}`))).toBe(true);
      expect(write).toMatchObject({ failure: 'NotFound', permanent: true });
      expect((await observe()).stableNarrowed).toBe(false);
    });

    optional('a missing target is reported by observe, fails setStableImage with NotFound, and does not stop deleteCanary', 'removeTarget', async () => {
      // Prepare
      const { namespace, targetDeployment } = s().rollout.spec;
      await s().removeTarget!();

      // Act
      const seen = await observe();
      const write = await s().port.setStableImage(s().rollout, s().rollout.spec.canaryImage).then(() => undefined, (err: unknown) => err);
      await s().port.deleteCanary(s().rollout);
      await s().port.deleteCanary(s().rollout);

      // Assess
      expect(seen.stable).toMatchObject({ exists: false, available: false });
      expect(seen.missing).toContain(`Deployment ${namespace}/${targetDeployment}`);
      expect(write).toMatchObject({ failure: 'NotFound', permanent: true });
    });
  });
}
