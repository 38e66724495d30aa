import { Option, type Command } from 'commander';
import { ACTIONS, type ActionKind } from '../lib/domain/actions.js';
import { PHASES } from '../lib/domain/phases.js';
import type { Ctx, Runner } from './context.js';
import { parseApplicable } from './documents.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { renderRelease } from './render-release.js';
import { renderEvents, renderRollout, renderRolloutList, rolloutFrame } from './render.js';
import { watchRelease } from './release-commands.js';
import type { RolloutView } from './schemas.js';
import { positiveInt } from './options.js';
import { watchInCli } from './watch.js';

type Kind = 'rollout' | 'release';

/** `ro_…` is a rollout, `rel_…` a release; anything else is refused before a request is made. */
export function kindOf(id: string): Kind {
  if (/^ro_[A-Za-z0-9_-]+$/.test(id)) return 'rollout';
  if (/^rel_[A-Za-z0-9_-]+$/.test(id)) return 'release';
  throw new CliError(EXIT.badInput, `"${id}" is not a rollout or release id`, [{ path: 'id', message: 'must start with ro_ (a rollout) or rel_ (a release)' }]);
}

const ROLE_OF: Record<ActionKind, 'approver' | 'deployer'> = { approve: 'approver', reject: 'approver', pause: 'deployer', resume: 'deployer', abort: 'deployer', promote: 'deployer' };
const ACTION_HELP: Record<ActionKind, string> = {
  approve: 'approve the gate the rollout waits at (approver)',
  reject: 'reject the waiting gate: the rollout rolls back (approver)',
  pause: 'hold the rollout at its current weight (deployer)',
  resume: 'continue a paused rollout (deployer)',
  abort: 'roll back now: 100% stable, canary deleted (deployer)',
  promote: 'skip the remaining steps and promote the canary (deployer)',
};

export function rolloutEnded(view: RolloutView): ExitCode | undefined {
  if (view.phase === 'Completed') return EXIT.ok;
  if (view.phase === 'Failed') return EXIT.failed;
  return undefined;
}

async function readInput(ctx: Ctx, file: string): Promise<string> {
  if (file === '-') return ctx.io.readStdin();
  const text = ctx.io.readFile(file);
  if (text === undefined) throw new CliError(EXIT.badInput, `Cannot read ${file}`, [{ path: '-f', message: 'must name a readable file, or - for standard input' }]);
  return text;
}

export function watchRollout(ctx: Ctx, id: string, options: { timeout?: string; interval?: string }): Promise<ExitCode> {
  return watchInCli(ctx, options, {
    fetch: async () => (await ctx.client.getRollout(id)).data,
    frame: rolloutFrame,
    ended: rolloutEnded,
    describe: (v) => `rollout ${v.id} is still ${v.phase} at step ${v.step.number}/${v.step.total}`,
  });
}

export function addRolloutCommands(program: Command, runner: Runner): void {
  program.command('apply').description('start a rollout (kind: CanaryDeployment) or a release (kind: Release) from YAML or JSON')
    .requiredOption('-f, --file <file>', 'the document, or - to read standard input')
    .action((opts: { file: string }, cmd: Command) => runner.exec(cmd, 'deployer', async (ctx) => {
      const { kind, document } = parseApplicable(await readInput(ctx, opts.file), opts.file === '-' ? '(stdin)' : opts.file);
      if (kind === 'Release') {
        const { data, raw } = await ctx.client.createRelease(document);
        ctx.print(raw, () => [`release ${data.id} created: ${data.name} (${data.phase})`, '', ...renderRelease(data, ctx.io.now())]);
        return;
      }
      const { data, raw } = await ctx.client.createRollout(document);
      ctx.print(raw, () => [`rollout ${data.id} created: ${data.name} ${data.namespace}/${data.targetDeployment} on cluster ${data.cluster} -> ${data.canaryImage} (${data.phase})`]);
    }));

  program.command('get').argument('<id>', 'a rollout (ro_...) or release (rel_...) id').description('show a rollout or a release')
    .action((id: string, _o: unknown, cmd: Command) => runner.exec(cmd, 'viewer', async (ctx) => {
      if (kindOf(id) === 'release') {
        const { data, raw } = await ctx.client.getRelease(id);
        return ctx.print(raw, () => renderRelease(data, ctx.io.now()));
      }
      const { data, raw } = await ctx.client.getRollout(id);
      ctx.print(raw, () => renderRollout(data, ctx.io.now()));
    }));

  program.command('list').description('list rollouts, newest first')
    .addOption(new Option('--phase <phase>', 'only rollouts in this phase').choices(PHASES))
    .option('--cluster <cluster>', 'only rollouts in this cluster')
    .option('--namespace <namespace>', 'only rollouts in this namespace')
    .option('--limit <n>', 'at most n rollouts (1-200)', positiveInt('--limit'))
    .option('--cursor <cursor>', 'the next page, as printed after a full page')
    .action((opts: { phase?: string; cluster?: string; namespace?: string; limit?: number; cursor?: string }, cmd: Command) => runner.exec(cmd, 'viewer', async (ctx) => {
      const { data, raw } = await ctx.client.listRollouts(opts);
      ctx.print(raw, () => [...renderRolloutList(data.items, ctx.io.now()), ...(data.nextCursor ? [`more: --cursor ${data.nextCursor}`] : [])]);
    }));

  program.command('watch').argument('<id>', 'a rollout (ro_...) or release (rel_...) id')
    .description('follow a rollout until it ends: exit 0 Completed, 1 Failed, 3 on --timeout')
    .option('--timeout <duration>', 'give up after this long (e.g. 15m); exit 3')
    .option('--interval <duration>', 'time between polls', '2s')
    .action((id: string, opts: { timeout?: string; interval?: string }, cmd: Command) => runner.exec(cmd, 'viewer', (ctx) =>
      (kindOf(id) === 'release' ? watchRelease(ctx, id, opts) : watchRollout(ctx, id, opts))));

  for (const kind of ACTIONS) {
    const command = program.command(kind).argument('<id>', 'the rollout id (ro_...)').description(ACTION_HELP[kind])
      .option('--comment <text>', 'recorded in the audit trail');
    if (kind === 'approve' || kind === 'reject') command.option('--step <gate>', 'the gate you mean (1-based step number or "promotion"); refused if the rollout moved on');
    command.action((id: string, opts: { comment?: string; step?: string }, cmd: Command) => runner.exec(cmd, ROLE_OF[kind], async (ctx) => {
      if (kindOf(id) === 'release') throw new CliError(EXIT.badInput, `${id} is a release: use \`codedance releases ${kind}\``);
      const step = opts.step === undefined ? undefined : opts.step === 'promotion' ? 'promotion' as const : positiveInt('--step')(opts.step);
      const { data, raw } = await ctx.client.actOnRollout(id, kind, { ...(opts.comment ? { comment: opts.comment } : {}), ...(step !== undefined ? { step } : {}) });
      ctx.print(raw, () => [`${kind} ${id}: ${data.alreadyDone ? 'already done, nothing changed' : 'accepted'}`, ...rolloutFrame(data)]);
    }));
  }

  program.command('events').argument('<id>', 'a rollout (ro_...) or release (rel_...) id').description('the audit trail, in order')
    .action((id: string, _o: unknown, cmd: Command) => runner.exec(cmd, 'viewer', async (ctx) => {
      const { data, raw } = kindOf(id) === 'release' ? await ctx.client.releaseEvents(id) : await ctx.client.rolloutEvents(id);
      ctx.print(raw, () => renderEvents(data.items));
    }));
}
