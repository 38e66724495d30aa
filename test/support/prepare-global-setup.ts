import { ensureHelm } from '../../infra/local/helm/build.js';
import { ensureKubernetesBinaries } from '../../infra/local/kubernetes/build.js';
import { ensureDebianPackage, ensureJava, ensureLua } from '../../infra/local/system-packages.js';

/**
 * Installs or builds what the local stack needs before any test runs, so a fresh machine's one-time
 * Go build shows its progress and is not charged to a test's timeout.
 */
export async function prepareLocalStack(): Promise<void> {
  await ensureJava();
  await ensureDebianPackage('prometheus', 'prometheus');
  await ensureLua(); // the Argo CD health check's test runs it (test/unit/argocd-health.test.ts installs it too)
  await ensureKubernetesBinaries();
  await ensureHelm(); // for the chart test (test/integration/kubernetes/helm-chart.test.ts): ~3 min once
}

export default prepareLocalStack;
