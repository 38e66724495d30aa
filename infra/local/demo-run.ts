/**
 * `npm run demo`: against a running `npm start`, rolls out a healthy myapp:v2 (ends Completed) and
 * then myapp:v2-faulty (rolled back), printing a timeline of weights and decisions for each.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { STACK_FILE, api, startRolloutFromYaml, watchRollout, type ApiTarget } from './rollout-watch.js';

const stackFile = z.object({ url: z.string(), token: z.string() });
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

async function run(target: ApiTarget, file: string, label: string): Promise<string> {
  say(`\n== ${label} (${file})`);
  const rollout = await startRolloutFromYaml(target, readFileSync(file, 'utf8'));
  const done = await watchRollout(target, rollout.id, say);
  const events = z.object({ items: z.array(z.object({ type: z.string(), message: z.string() })) }).parse(await api(target, 'GET', `/rollouts/${rollout.id}/events`));
  for (const e of events.items.filter((x) => x.type !== 'Analysis')) say(`   audit: ${e.type}: ${e.message}`);
  say(`== ${label}: ${done.phase}${done.failure ? ` (${done.failure.reason}: ${done.failure.message})` : ''}`);
  return done.phase;
}

async function main(): Promise<void> {
  let target: ApiTarget;
  try {
    target = stackFile.parse(JSON.parse(readFileSync(STACK_FILE, 'utf8')));
  } catch {
    throw new Error(`no running stack found (${STACK_FILE}); start one with "npm start" in another terminal`);
  }
  const healthy = await run(target, 'examples/demo/myapp-v2.yaml', 'healthy myapp:v2');
  const faulty = await run(target, 'examples/demo/myapp-v2-faulty.yaml', 'faulty myapp:v2-faulty');
  say(`\nsummary: healthy → ${healthy}, faulty → ${faulty}`);
  process.exit(healthy === 'Completed' && faulty === 'Failed' ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
