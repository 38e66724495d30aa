/** Kubeconfig files for the local clusters: token auth against the apiserver's self-signed CA. */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  cluster: string;
  user: string;
  server: string;
  caData: string;
  token: string;
}

export function kubeconfigYaml({ cluster, user, server, caData, token }: KubeconfigInput): string {
  const context = `${user}@${cluster}`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server, 'certificate-authority-data': Buffer.from(caData).toString('base64') } }],
    users: [{ name: context, user: { token } }],
    contexts: [{ name: context, context: { cluster, user: context, namespace: 'default' } }],
    'current-context': context,
  });
}

export function writeKubeconfig(path: string, input: KubeconfigInput): string {
  writeFileSync(path, kubeconfigYaml(input), { mode: 0o600 });
  return path;
}
