/**
 * The behaviour every ClusterPort must show, real adapter or fake: idempotent effects, weights read back as
 * written, a canary that becomes available, a promotion that rolls the stable Deployment, a delete that
 * tolerates repetition. Run it with `describeClusterPortContract(name, setup)` from a *.test.ts file.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RolloutSpec } from '../../lib/domain/spec.js';
import type { ClusterPort } from '../../lib/ports/cluster.js';

export interface ClusterPortContractSubject {
  port: ClusterPort;
  /** The rollout under test; its canaryImage differs from the seeded stable image. */
  spec: RolloutSpec;
  /** Creates the target Deployment, its Services and the route object the spec names. */
  seedTarget(): Promise<void>;
  cleanup(): Promise<void>;
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

    beforeAll(async () => {
      subject = await setup();
      await subject.seedTarget();
    });

    afterAll(async () => {
      await subject?.cleanup();
    });

    it('ensureCanary is idempotent', async () => {
      // Act
      await s().port.ensureCanary(s().spec);
      await s().port.ensureCanary(s().spec);

      // Assess
      expect((await s().port.observe(s().spec)).canary.exists).toBe(true);
    });

    it('the canary eventually becomes available', async () => {
      // Prepare
      await s().port.ensureCanary(s().spec);

      // Act / Assess
      await eventually(async () => {
        const seen = await s().port.observe(s().spec);
        expect(seen.canary).toMatchObject({ exists: true, available: true });
        expect(seen.canary.crash).toBeUndefined();
      });
    });

    it('setCanaryWeight(25) is what observe() reads back', async () => {
      // Act
      await s().port.setCanaryWeight(s().spec, 25);

      // Assess
      expect((await s().port.observe(s().spec)).weight).toBe(25);
    });

    it('setCanaryWeight is idempotent and absolute', async () => {
      // Act
      await s().port.setCanaryWeight(s().spec, 50);
      await s().port.setCanaryWeight(s().spec, 50);
      const atFifty = (await s().port.observe(s().spec)).weight;
      await s().port.setCanaryWeight(s().spec, 0);
      await s().port.setCanaryWeight(s().spec, 0);

      // Assess
      expect(atFifty).toBe(50);
      expect((await s().port.observe(s().spec)).weight).toBe(0);
    });

    it('promoteStable rolls the stable Deployment to the canary image', async () => {
      // Act
      await s().port.promoteStable(s().spec);
      await s().port.promoteStable(s().spec);

      // Assess
      expect((await s().port.observe(s().spec)).stable.image).toBe(s().spec.canaryImage);
      await eventually(async () => {
        expect((await s().port.observe(s().spec)).stable).toEqual({ image: s().spec.canaryImage, available: true });
      });
    });

    it('deleteCanary is idempotent and leaves no canary', async () => {
      // Act
      await s().port.deleteCanary(s().spec);
      await s().port.deleteCanary(s().spec);

      // Assess
      expect((await s().port.observe(s().spec)).canary).toMatchObject({ exists: false, available: false });
    });
  });
}
