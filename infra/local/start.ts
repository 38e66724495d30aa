/**
 * `npm start`: the whole stack on this machine (see full-stack.ts), then a demo rollout of a healthy
 * myapp:v2 whose timeline is printed. Stays up until Ctrl-C; `npm run demo` runs more rollouts against it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { startFullStack } from './full-stack.js';
import { STACK_FILE, startRolloutFromYaml, watchRollout } from './rollout-watch.js';
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

async function main(): Promise<void> {
  if (!existsSync('.build/web/index.html')) {
    // The API serves the dashboard from .build/web; building takes a few seconds, once.
    say('building the dashboard into .build/web (npm run build:web) ...');
    const { build } = await import('vite');
    await build({ configFile: 'web/vite.config.ts', logLevel: 'warn' });
    say('dashboard built');
  }
  const stack = await startFullStack({ offlineOutput: () => undefined });
  const target = { url: stack.api.url, token: stack.api.token };
  mkdirSync(dirname(STACK_FILE), { recursive: true });
  writeFileSync(STACK_FILE, JSON.stringify({ ...target, kubeconfig: stack.kubeconfigPath, prometheus: stack.prometheus.url, pid: process.pid }, null, 2), { mode: 0o600 });
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    rmSync(STACK_FILE, { force: true });
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());

  say('');
  say(`API         ${stack.api.url}`);
  say(`Token       ${stack.api.token}`);
  say(`Dashboard   ${stack.api.url}/ui/   (sign in with the token above)`);
  say(`Prometheus  ${stack.prometheus.url}`);
  say(`Kubeconfig  ${stack.kubeconfigPath}`);
  say(`Start one   curl -X POST ${stack.api.url}/rollouts -H "Authorization: Bearer ${stack.api.token}" -H "Content-Type: application/yaml" --data-binary @examples/demo/myapp-v2.yaml`);
  say(`More        npm run demo   (a healthy and a faulty rollout, with their timelines)`);
  say('');
  say('Demo rollout: myapp:v2 (healthy) on cluster "local", namespace production, Istio VirtualService myapp');
  const rollout = await startRolloutFromYaml(target, readFileSync('examples/demo/myapp-v2.yaml', 'utf8'));
  const done = await watchRollout(target, rollout.id, say);
  say(`Demo rollout ${done.id} ended ${done.phase}${done.failure ? ` (${done.failure.reason}: ${done.failure.message})` : ''}`);
  say('The stack stays up; press Ctrl-C to stop it.');
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
