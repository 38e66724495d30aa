import { z } from 'zod';
import { parseWindow } from './maintenance-window.js';
import { IMAGE, canaryDeploymentSchema, kubernetesLabel, kubernetesName } from './spec-schema.js';

/**
 * The Release document: one version rolled across many services and clusters in waves. Each
 * service × cluster pair becomes an ordinary CanaryDeployment, built from the service's rollout
 * template, so everything a rollout accepts (strategy, metrics, routing, approvals …) applies.
 */

/** A CanaryDeployment's `spec` without what the release fills in per service and cluster. */
export const rolloutTemplateSchema = canaryDeploymentSchema.shape.spec.omit({
  targetDeployment: true, canaryVersion: true, cluster: true, container: true,
});
export type RolloutTemplate = z.infer<typeof rolloutTemplateSchema>;

const service = z.strictObject({
  /** Shown in the matrix; defaults to the target Deployment's name. */
  name: kubernetesName.optional(),
  targetDeployment: kubernetesName,
  namespace: kubernetesLabel.optional(),
  image: z.string().regex(IMAGE, 'must be a container image reference such as payments:2.4.0'),
  container: z.string().min(1).optional(),
  /** Name of an entry of `spec.templates`. */
  template: z.string().min(1).optional(),
  /** Inline rollout settings; merged over the named template when both are given. */
  rollout: rolloutTemplateSchema.optional(),
});

const wave = z.strictObject({
  name: kubernetesName,
  clusters: z.array(kubernetesName).min(1, 'must name at least one cluster'),
  /** Rollouts running at once in each cluster of the wave. */
  maxParallel: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100').optional(),
  /** Wait for a person's approval (POST /releases/{id}/approve) before the wave starts. */
  approval: z.boolean().optional(),
});

const windowText = z.string().superRefine((text, ctx) => {
  const parsed = parseWindow(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
});

export const releaseDocumentSchema = z.strictObject({
  apiVersion: z.literal('deploy.codedance.io/v1alpha1', 'must be deploy.codedance.io/v1alpha1'),
  kind: z.literal('Release', 'must be Release'),
  metadata: z.strictObject({
    name: kubernetesName,
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    templates: z.record(z.string().min(1), rolloutTemplateSchema).optional(),
    services: z.array(service).min(1, 'must list at least one service').max(500, 'at most 500 services'),
    waves: z.array(wave).min(1, 'must have at least one wave').max(20, 'at most 20 waves'),
    schedule: z.strictObject({
      notBefore: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with offset, e.g. 2026-12-01T02:00:00Z' }).optional(),
      windows: z.array(windowText).max(20, 'at most 20 windows').optional(),
    }).optional(),
    haltOnFailure: z.boolean().optional(),
  }).superRefine((spec, ctx) => {
    const seenWaves = new Set<string>();
    const clusterWave = new Map<string, string>();
    spec.waves.forEach((w, i) => {
      if (seenWaves.has(w.name)) ctx.addIssue({ code: 'custom', path: ['waves', i, 'name'], message: `wave name "${w.name}" is used twice` });
      seenWaves.add(w.name);
      w.clusters.forEach((c, j) => {
        const earlier = clusterWave.get(c);
        // A cluster in two waves would roll every service there twice.
        if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: ['waves', i, 'clusters', j], message: `cluster "${c}" is already in wave "${earlier}"` });
        else clusterWave.set(c, w.name);
      });
    });
    const seenTargets = new Map<string, number>();
    const seenNames = new Set<string>();
    spec.services.forEach((s, i) => {
      const target = `${s.namespace ?? 'default'}/${s.targetDeployment}`;
      const name = s.name ?? s.targetDeployment;
      if (seenTargets.has(target)) ctx.addIssue({ code: 'custom', path: ['services', i, 'targetDeployment'], message: `${target} is already listed as services[${seenTargets.get(target)}]` });
      else if (seenNames.has(name)) ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `service name "${name}" is used twice; give one a distinct name` });
      seenTargets.set(target, i);
      seenNames.add(name);
      if (s.template !== undefined && !(spec.templates && s.template in spec.templates)) {
        ctx.addIssue({ code: 'custom', path: ['services', i, 'template'], message: `no template named "${s.template}" in spec.templates` });
      }
    });
  }),
});

export type ReleaseDocument = z.infer<typeof releaseDocumentSchema>;
