/**
 * The named clusters the engine may roll out to. Configuration is validated once at start-up; clients are
 * built on first use and cached, so a cold Lambda pays only for the clusters its tick touches.
 */
import { z } from 'zod';
import { DependencyError, UnknownClusterError } from '../../app/errors.js';
import type { RolloutSpec } from '../../domain/spec.js';
import type { RolloutState } from '../../domain/state.js';
import type { ClusterRegistry } from '../../ports/cluster.js';
import type { StatusMirror } from '../../ports/status-mirror.js';
import { KubernetesCanaryObjects } from './canary-objects.js';
import { connect, createKubeClients, type ClusterAuth, type KubeClients } from './client.js';
import { KubernetesCluster } from './cluster.js';
import { mirrorStatus, type MirroredStatus } from './status-mirror.js';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label').max(63);
const timeoutMs = z.number().int().positive().optional();
/**
 * Fields every cluster entry may have, whatever its auth mode. The admission webhook's path secret, as a
 * value (local) or an SSM parameter name (AWS); it goes into a URL, so only URL-safe characters. And the
 * namespaces the sync lists (all when absent).
 */
const entryFields = {
  name, timeoutMs,
  webhookSecret: z.string().min(16, 'must be at least 16 characters').regex(/^[A-Za-z0-9_~.-]+$/, 'only letters, digits and - _ . ~ (it is part of the webhook URL)').optional(),
  webhookSecretParameter: z.string().min(1).optional(),
  namespaces: z.array(name).min(1).optional(),
};

/**
 * One cluster: a name and exactly one auth mode. In token mode give either `token` (already resolved) or
 * `tokenSecret`, the name resolveSecret looks up (an SSM parameter or Secrets Manager id).
 */
export const clusterConfigSchema = z.union([
  z.strictObject({ ...entryFields, kubeconfig: z.strictObject({ path: z.string().min(1), context: z.string().min(1).optional() }) }),
  z.strictObject({
    ...entryFields,
    token: z.strictObject({ server: z.url(), caData: z.string().min(1).optional(), token: z.string().min(1).optional(), tokenSecret: z.string().min(1).optional() })
      .refine((t) => (t.token === undefined) !== (t.tokenSecret === undefined), 'give exactly one of token, tokenSecret'),
  }),
  z.strictObject({ ...entryFields, eks: z.strictObject({ clusterName: z.string().min(1), region: z.string().min(1), server: z.url(), caData: z.string().min(1) }) }),
]);
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

export const clusterRegistryConfigSchema = z.array(clusterConfigSchema)
  .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, 'cluster names must be unique');

/**
 * ClusterRegistry plus what is not part of ClusterPort: each cluster's CanaryDeployment objects (the
 * declarative door) and the status mirror of running rollouts, which writes through them.
 */
export interface KubernetesClusterRegistry extends ClusterRegistry, StatusMirror {
  get(name: string): KubernetesCluster;
  /** The CanaryDeployment objects of a cluster; unknown cluster → UnknownClusterError. */
  objects(cluster: string): KubernetesCanaryObjects;
  /** The rollout's full status (conditions, observedGeneration) into the object it runs for. */
  mirror(state: RolloutState): Promise<void>;
  /** Only the given fields, without conditions: kept for callers that have no rollout state. */
  mirrorStatus(spec: RolloutSpec, status: MirroredStatus): Promise<void>;
}

async function authOf(config: ClusterConfig, resolveSecret?: (name: string) => Promise<string>): Promise<ClusterAuth> {
  if ('kubeconfig' in config) return { kubeconfig: config.kubeconfig };
  if ('eks' in config) return { eks: config.eks };
  const { server, caData, token, tokenSecret } = config.token;
  if (token !== undefined) return { token: { server, token, ...(caData ? { caData } : {}) } };
  if (!resolveSecret) throw new DependencyError('secrets', `cluster "${config.name}" names tokenSecret but no secret resolver is configured`, false);
  try {
    return { token: { server, token: await resolveSecret(tokenSecret ?? ''), ...(caData ? { caData } : {}) } };
  } catch (err) {
    // The secret's value never appears here: only its name and what the store said.
    throw new DependencyError('secrets', `could not resolve tokenSecret "${tokenSecret}" for cluster "${config.name}"`, true, { cause: err });
  }
}

export function createClusterRegistry(configs: ClusterConfig[], resolveSecret?: (name: string) => Promise<string>): KubernetesClusterRegistry {
  const byName = new Map(configs.map((c) => [c.name, c]));
  if (byName.size !== configs.length) throw new Error('createClusterRegistry: cluster names must be unique');
  const clients = new Map<string, Promise<KubeClients>>();
  const ports = new Map<string, KubernetesCluster>();
  const objects = new Map<string, KubernetesCanaryObjects>();

  const clientsFor = (config: ClusterConfig): Promise<KubeClients> => {
    let pending = clients.get(config.name);
    if (!pending) {
      pending = authOf(config, resolveSecret)
        .then((auth) => connect(auth, config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}))
        .then((conn) => createKubeClients(config.name, conn));
      // A failed resolution (secret store down) must not be cached: the next tick tries again.
      pending.catch(() => clients.delete(config.name));
      clients.set(config.name, pending);
    }
    return pending;
  };

  const registry: KubernetesClusterRegistry = {
    names: () => [...byName.keys()],
    get(clusterName) {
      const config = byName.get(clusterName);
      if (!config) throw new UnknownClusterError(clusterName, registry.names());
      let port = ports.get(clusterName);
      if (!port) {
        port = new KubernetesCluster(() => clientsFor(config));
        ports.set(clusterName, port);
      }
      return port;
    },
    objects(clusterName) {
      const config = byName.get(clusterName);
      if (!config) throw new UnknownClusterError(clusterName, registry.names());
      let port = objects.get(clusterName);
      if (!port) {
        port = new KubernetesCanaryObjects(clusterName, () => clientsFor(config), undefined, config.namespaces);
        objects.set(clusterName, port);
      }
      return port;
    },
    async mirror(state) {
      await registry.objects(state.source?.cluster ?? state.spec.cluster).mirror(state);
    },
    async mirrorStatus(spec, status) {
      registry.get(spec.cluster); // unknown cluster → UnknownClusterError
      const config = byName.get(spec.cluster);
      if (config) await mirrorStatus(await clientsFor(config), spec, status);
    },
  };
  return registry;
}

