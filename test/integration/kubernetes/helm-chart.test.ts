/**
 * The cluster side installs two ways, and both give the same cluster: the Helm chart in infra/helm/codedance
 * (with a real helm v4 built from the Go module proxy, see infra/local/helm/build.ts) and
 * `kubectl apply -f infra/k8s/ -f infra/k8s/crds/`. Each goes into its own bare local cluster (the launcher
 * installs nothing of infra/k8s/ there), so what the engine needs must come from the install under test.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { call, getJson, hasCondition, type ApiTarget } from '../../../infra/local/kubernetes/api.js';
import { ensureHelm } from '../../../infra/local/helm/build.js';
import { startClusters, type LocalCluster, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';

const MINUTE = 60_000;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHART = join(ROOT, 'infra/helm/codedance');
const CRD_FILE = join(ROOT, 'infra/k8s/crds/canarydeployment.yaml');
const RBAC_FILE = join(ROOT, 'infra/k8s/engine-rbac.yaml');
const WEBHOOK_TEMPLATE = join(ROOT, 'infra/k8s/webhook/webhook.yaml');
const CRD_NAME = 'canarydeployments.deploy.codedance.io';
const WEBHOOK_URL = 'https://127.0.0.1:9/admission/local/s3cr3t'; // port 9 (discard): nothing listens
const NS = 'default';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> }; [k: string]: unknown };
type Webhook = {
  name: string; failurePolicy: string; sideEffects: string; timeoutSeconds: number; admissionReviewVersions: string[]; matchPolicy?: string;
  clientConfig: { url?: string; caBundle?: string };
  rules: Array<{ apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[]; scope?: string }>;
};
type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] };

const parseDocs = (text: string): Obj[] =>
  parseAllDocuments(text, { merge: true }).map((d) => d.toJS() as Obj | null).filter((o): o is Obj => o !== null && typeof o === 'object');
const fileDocs = (file: string) => parseDocs(readFileSync(file, 'utf8'));
const find = (docs: Obj[], kind: string) => {
  const found = docs.filter((d) => d.kind === kind);
  expect(found.map((d) => d.kind), `exactly one ${kind}`).toEqual([kind]);
  return found[0]!;
};
/** The ClusterRole rules of infra/k8s/engine-rbac.yaml, the single source of the engine's permissions. */
const engineRules = () => find(fileDocs(RBAC_FILE), 'ClusterRole').rules as Rule[];
const canary = (name: string) => ({
  apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name },
  spec: { targetDeployment: name, canaryVersion: `${name}:v2.0.0`, strategy: { type: 'Linear', steps: [{ weight: 10, pause: '5m' }, { weight: 100, pause: '0s' }] } },
});
const CANARY_PATH = `/apis/deploy.codedance.io/v1alpha1/namespaces/${NS}/canarydeployments`;

interface Run { code: number; stdout: string; stderr: string }
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024, timeout: 2 * MINUTE }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
const ok = (r: Run, what: string) => {
  expect(r.code, `${what} failed:\n${r.stderr}\n${r.stdout}`).toBe(0);
  return r.stdout;
};

describe('Helm chart infra/helm/codedance', () => {
  let helmBin: string;
  let work: string;
  let helmEnv: NodeJS.ProcessEnv;
  const helm = (...args: string[]) => run(helmBin, args, helmEnv);
  const template = async (...args: string[]) => parseDocs(ok(await helm('template', 'codedance', CHART, '--namespace', 'codedance-system', ...args), 'helm template'));

  beforeAll(async () => {
    ({ helm: helmBin } = await ensureHelm()); // built by the global setup; cached after the first machine build
    work = mkdtempSync(join(tmpdir(), 'codedance-helm-'));
    // helm keeps caches, plugins and repositories under these: none of the user's own, none left behind.
    helmEnv = { ...process.env, HELM_CACHE_HOME: join(work, 'cache'), HELM_CONFIG_HOME: join(work, 'config'), HELM_DATA_HOME: join(work, 'data') };
  }, 20 * MINUTE);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds byte-equal copies of the CRD and the engine RBAC from infra/k8s (Helm cannot read outside the chart)', () => {
    for (const [copy, source] of [['files/canarydeployment.yaml', CRD_FILE], ['files/engine-rbac.yaml', RBAC_FILE]] as const) {
      const relative = source.slice(ROOT.length);
      expect(readFileSync(join(CHART, copy), 'utf8'), `infra/helm/codedance/${copy} differs from ${relative}: cp ${relative} infra/helm/codedance/${copy}`)
        .toBe(readFileSync(source, 'utf8'));
    }
  });

  it('passes helm lint, with and without the webhook', async () => {
    ok(await helm('lint', '--strict', CHART), 'helm lint');
    ok(await helm('lint', '--strict', CHART, '--set', 'webhook.enabled=true', '--set', `webhook.url=${WEBHOOK_URL}`), 'helm lint (webhook)');
  });

  it('renders the CRD and ClusterRole of infra/k8s, a ServiceAccount and a binding, and no webhook by default', async () => {
    // Act
    const docs = await template();

    // Assess
    expect(docs.map((d) => d.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'ServiceAccount']);
    const crd = find(docs, 'CustomResourceDefinition');
    const source = find(fileDocs(CRD_FILE), 'CustomResourceDefinition');
    expect(crd.metadata.name).toBe(CRD_NAME);
    expect(crd.spec).toEqual(source.spec);
    expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep'); // uninstall must not delete every CanaryDeployment
    expect(find(docs, 'ClusterRole').rules).toEqual(engineRules());
    expect(find(docs, 'ClusterRole').metadata.name).toBe('codedance-engine');
    const binding = find(docs, 'ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'codedance-engine' });
    expect(binding.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'codedance-engine' }, // as in engine-rbac.yaml and the EKS access entry
      { kind: 'ServiceAccount', name: 'codedance-engine', namespace: 'codedance-system' },
    ]);
    expect(find(docs, 'ServiceAccount').metadata).toMatchObject({ name: 'codedance-engine', namespace: 'codedance-system' });
  });

  it('renders the ValidatingWebhookConfiguration from values, a PEM caBundle base64-encoded', async () => {
    // Prepare
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
    const pemFile = join(work, 'ca.pem');
    writeFileSync(pemFile, pem);

    // Act
    const withBase64 = await template('--set', 'webhook.enabled=true', '--set', `webhook.url=${WEBHOOK_URL}`, '--set', `webhook.caBundle=${Buffer.from(pem).toString('base64')}`, '--set', 'webhook.timeoutSeconds=3');
    const withPem = await template('--set', 'webhook.enabled=true', '--set', `webhook.url=${WEBHOOK_URL}`, '--set-file', `webhook.caBundle=${pemFile}`);

    // Assess
    const [hook] = find(withBase64, 'ValidatingWebhookConfiguration').webhooks as Webhook[];
    expect(hook).toEqual({
      name: 'canarydeployments.deploy.codedance.io',
      clientConfig: { url: WEBHOOK_URL, caBundle: Buffer.from(pem).toString('base64') },
      rules: [{ apiGroups: ['deploy.codedance.io'], apiVersions: ['v1alpha1'], resources: ['canarydeployments'], operations: ['CREATE', 'UPDATE', 'DELETE'], scope: 'Namespaced' }],
      failurePolicy: 'Ignore',
      sideEffects: 'NoneOnDryRun',
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 3,
      matchPolicy: 'Equivalent',
    });
    const crdVersions = (find(fileDocs(CRD_FILE), 'CustomResourceDefinition').spec as { versions: Array<{ name: string; served: boolean }> }).versions;
    expect(crdVersions.filter((v) => v.served).map((v) => v.name)).toEqual(expect.arrayContaining(hook!.rules[0]!.apiVersions));
        const [fromPem] = find(withPem, 'ValidatingWebhookConfiguration').webhooks as Webhook[];
    expect(Buffer.from(fromPem!.clientConfig.caBundle!, 'base64').toString()).toBe(pem);
    expect(fromPem!.timeoutSeconds).toBe(5);
  });

  it.skipIf(!existsSync(WEBHOOK_TEMPLATE))('renders the same webhook as infra/k8s/webhook/webhook.yaml, the kubectl way to install it', async () => {
    // Prepare: the kubectl template filled in as its header says (envsubst).
    const vars: Record<string, string> = { API_HOST: 'abc123.execute-api.eu-west-1.amazonaws.com', CLUSTER: 'prod-eu', WEBHOOK_SECRET: 'a'.repeat(32), CA_BUNDLE: 'Zm9v' };
    const filled = readFileSync(WEBHOOK_TEMPLATE, 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
    const kubectlWay = find(parseDocs(filled), 'ValidatingWebhookConfiguration');

    // Act
    const helmWay = find(await template('--set', 'webhook.enabled=true', '--set', `webhook.url=https://${vars.API_HOST}/admission/${vars.CLUSTER}/${vars.WEBHOOK_SECRET}`, '--set', `webhook.caBundle=${vars.CA_BUNDLE}`), 'ValidatingWebhookConfiguration');

    // Assess
    expect(helmWay.metadata.name).toBe(kubectlWay.metadata.name);
    expect(helmWay.webhooks).toEqual(kubectlWay.webhooks);
  });

  it.each([
    ['a timeout over 5 s', ['--set', 'webhook.timeoutSeconds=10'], /timeoutSeconds/],
    ['a timeout of 0', ['--set', 'webhook.timeoutSeconds=0'], /timeoutSeconds/],
    ['a plain-http URL', ['--set', 'webhook.url=http://engine.example/admission/x/y'], /url/],
    ['an enabled webhook without URL', [], /url/],
    ['an unknown value', ['--set', 'webhook.failurePolicy=Fail'], /failurePolicy/],
  ])('refuses %s at schema validation', async (_what, args, message) => {
    // Act
    const result = await helm('template', 'codedance', CHART, '--set', 'webhook.enabled=true', ...args);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/schema/i);
    expect(result.stderr).toMatch(message);
  });

  describe('installed into bare local clusters', () => {
    let local: LocalClusters;
    let viaHelm: LocalCluster;
    let viaKubectl: LocalCluster;
    const admin = (c: LocalCluster): ApiTarget => ({ server: c.server, caData: c.caData, token: c.adminToken });
    const engine = (c: LocalCluster): ApiTarget => ({ server: c.server, caData: c.caData, token: c.engineToken });
    const waitFor = <T>(assertion: () => Promise<T>) => vi.waitFor(assertion, { timeout: MINUTE, interval: 500 });

    /** What the engine needs from the cluster side: the CRD served, its objects creatable, its token authorized. */
    async function assertClusterSide(c: LocalCluster, name: string): Promise<void> {
      await waitFor(async () => expect(hasCondition(await getJson(admin(c), `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`), 'Established')).toBe(true));
      const role = await getJson(admin(c), '/apis/rbac.authorization.k8s.io/v1/clusterroles/codedance-engine') as { rules: Rule[] };
      expect(role.rules).toEqual(engineRules());
      // The binding is served from an informer cache: the engine's token is authorized a moment later.
      await waitFor(async () => expect((await call(engine(c), 'GET', `/api/v1/namespaces/${NS}/pods?limit=1`)).status).toBe(200));
      expect((await call(engine(c), 'GET', `/api/v1/namespaces/${NS}/secrets?limit=1`)).status).toBe(403); // least privilege
      await waitFor(async () => expect((await call(admin(c), 'POST', CANARY_PATH, canary(name))).status).toBe(201));
      const patch = await call(engine(c), 'PATCH', `${CANARY_PATH}/${name}/status`, { status: { phase: 'Progressing', weight: 10 } }, 'application/merge-patch+json');
      expect(patch.status, patch.body).toBe(200);
    }

    beforeAll(async () => {
      local = await startClusters({ names: ['helm', 'kubectl'], nodes: 1, bare: true });
      [viaHelm, viaKubectl] = local.clusters as [LocalCluster, LocalCluster];
    }, 5 * MINUTE);

    afterAll(async () => {
      await local?.stop();
    }, 2 * MINUTE);

    it('starts bare: no CRD, and the engine token is authorized for nothing', async () => {
      for (const c of [viaHelm, viaKubectl]) {
        expect((await call(admin(c), 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`)).status).toBe(404);
        expect((await call(engine(c), 'GET', `/api/v1/namespaces/${NS}/pods?limit=1`)).status).toBe(403);
      }
    });

    it('helm install: CRD Established, the RBAC of engine-rbac.yaml, and a webhook that never blocks', async () => {
      // Prepare
      const caBundle = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n').toString('base64');

      // Act
      ok(await helm('install', 'codedance', CHART, '--kubeconfig', viaHelm.kubeconfigPath, '--namespace', 'codedance-system', '--create-namespace',
        '--set', 'webhook.enabled=true', '--set', `webhook.url=${WEBHOOK_URL}`, '--set', `webhook.caBundle=${caBundle}`), 'helm install');

      // Assess
      const config = await getJson(admin(viaHelm), '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/codedance-engine') as { webhooks: Webhook[] };
      expect(config.webhooks).toHaveLength(1);
      const [hook] = config.webhooks;
      expect(hook).toMatchObject({ failurePolicy: 'Ignore', sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1'], clientConfig: { url: WEBHOOK_URL, caBundle } });
      expect(hook!.timeoutSeconds).toBeGreaterThanOrEqual(1);
      expect(hook!.timeoutSeconds).toBeLessThanOrEqual(5);
      expect(hook!.rules[0]).toMatchObject({ apiGroups: ['deploy.codedance.io'], resources: ['canarydeployments'], operations: ['CREATE', 'UPDATE', 'DELETE'] });
      // With the engine unreachable, failurePolicy Ignore lets the CanaryDeployment through.
      await assertClusterSide(viaHelm, 'myapp');
      const sa = await call(admin(viaHelm), 'GET', '/api/v1/namespaces/codedance-system/serviceaccounts/codedance-engine');
      expect(sa.status).toBe(200);
      const status = JSON.parse(ok(await helm('status', 'codedance', '--kubeconfig', viaHelm.kubeconfigPath, '--namespace', 'codedance-system', '-o', 'json'), 'helm status')) as { info: { status: string } };
      expect(status.info.status).toBe('deployed');
    });

    it('helm upgrade points the webhook at an HTTPS endpoint trusted through caBundle, which then sees every change', async () => {
      // Prepare: a stand-in for the engine's endpoint, with a self-signed certificate for 127.0.0.1.
      const keyFile = join(work, 'engine.key');
      const certFile = join(work, 'engine.pem');
      ok(await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '1', '-subj', '/CN=codedance-engine.local', '-addext', 'subjectAltName=IP:127.0.0.1']), 'openssl req');
      const seen: Array<{ path: string; query: string; operation: string; name: string; dryRun: boolean; kind: string }> = [];
      const server: Server = createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => {
          const review = JSON.parse(body) as { request: { uid: string; operation: string; name: string; dryRun?: boolean; kind: { kind: string } } };
          const { pathname, search } = new URL(req.url ?? '/', 'https://engine');
          seen.push({ path: pathname, query: search, operation: review.request.operation, name: review.request.name, dryRun: review.request.dryRun ?? false, kind: review.request.kind.kind });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/admission/local/s3cr3t`;

      try {
        // Act
        ok(await helm('upgrade', 'codedance', CHART, '--kubeconfig', viaHelm.kubeconfigPath, '--namespace', 'codedance-system', '--reuse-values',
          '--set', `webhook.url=${url}`, '--set-file', `webhook.caBundle=${certFile}`), 'helm upgrade');

        // Assess: the apiserver picks the new configuration up from an informer; probe until it calls.
        let probe = 0;
        await waitFor(async () => {
          const name = `probe-${++probe}`;
          expect((await call(admin(viaHelm), 'POST', CANARY_PATH, canary(name))).status).toBe(201);
          expect(seen.map((s) => s.name)).toContain(name);
        });
        // The apiserver adds the timeout as a query parameter: the engine's route must match the path alone.
        expect(seen.at(-1)).toMatchObject({ path: '/admission/local/s3cr3t', query: '?timeout=5s', operation: 'CREATE', kind: 'CanaryDeployment', dryRun: false });

        const dry = await call(admin(viaHelm), 'POST', `${CANARY_PATH}?dryRun=All`, canary('dry-run'));
        expect(dry.status).toBe(201);
        expect(seen.at(-1)).toMatchObject({ name: 'dry-run', operation: 'CREATE', dryRun: true });

        expect((await call(admin(viaHelm), 'PATCH', `${CANARY_PATH}/myapp`, { spec: { canaryVersion: 'myapp:v3.0.0' } }, 'application/merge-patch+json')).status).toBe(200);
        expect(seen.at(-1)).toMatchObject({ name: 'myapp', operation: 'UPDATE' });
        // The engine's own status writes are a subresource the webhook does not match: no call per tick.
        const before = seen.length;
        expect((await call(engine(viaHelm), 'PATCH', `${CANARY_PATH}/myapp/status`, { status: { weight: 20 } }, 'application/merge-patch+json')).status).toBe(200);
        expect(seen).toHaveLength(before);

        expect((await call(admin(viaHelm), 'DELETE', `${CANARY_PATH}/probe-1`)).status).toBe(200);
        expect(seen.at(-1)).toMatchObject({ name: 'probe-1', operation: 'DELETE', path: '/admission/local/s3cr3t' });
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('helm uninstall removes RBAC and webhook but keeps the CRD and every CanaryDeployment', async () => {
      // Act
      ok(await helm('uninstall', 'codedance', '--kubeconfig', viaHelm.kubeconfigPath, '--namespace', 'codedance-system', '--wait'), 'helm uninstall');

      // Assess
      expect((await call(admin(viaHelm), 'GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/codedance-engine')).status).toBe(404);
      expect((await call(admin(viaHelm), 'GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/codedance-engine')).status).toBe(404);
      expect((await call(admin(viaHelm), 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`)).status).toBe(200);
      expect((await call(admin(viaHelm), 'GET', `${CANARY_PATH}/myapp`)).status).toBe(200);
    });

    it('kubectl apply -f infra/k8s/ -f infra/k8s/crds/ installs the same cluster side, and again unchanged', async () => {
      // Act
      const args = ['--kubeconfig', viaKubectl.kubeconfigPath, 'apply', '-f', 'infra/k8s/', '-f', 'infra/k8s/crds/'];
      const first = ok(await run('kubectl', args), 'kubectl apply');

      // Assess
      expect(first).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/canarydeployments\.deploy\.codedance\.io created/);
      expect(first).toMatch(/clusterrole\.rbac\.authorization\.k8s\.io\/codedance-engine created/);
      await assertClusterSide(viaKubectl, 'myapp');
      const again = ok(await run('kubectl', args), 'kubectl apply (again)');
      expect(again).not.toMatch(/created|configured/);
    });
  });
});
