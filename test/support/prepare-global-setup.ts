import { ensureKubernetesBinaries } from '../../infra/local/kubernetes/build.js';
import { ensureDebianPackage, ensureJava } from '../../infra/local/system-packages.js';

/**
 * Installs or builds what the local stack needs before any test runs, so a fresh machine's one-time
 * Go build shows its progress and is not charged to a test's timeout.
 */
export async function prepareLocalStack(): Promise<void> {
  await ensureJava();
  await ensureDebianPackage('prometheus', 'prometheus');
  await ensureKubernetesBinaries();
}

export default prepareLocalStack;
