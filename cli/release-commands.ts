import { Option, type Command } from 'commander';
import { RELEASE_ACTIONS, type ReleaseActionKind } from '../lib/domain/release-actions.js';
import { RELEASE_PHASES } from '../lib/domain/release.js';
import type { Ctx, Runner } from './context.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { releaseFrame, renderRelease, renderReleaseList } from './render-release.js';
import type { ReleaseView } from './schemas.js';
import { positiveInt } from './options.js';
import { watchInCli } from './watch.js';

const ACTION_HELP: Record<ReleaseActionKind, string> = {
  approve: 'let the wave that waits for approval start (approver)',
  pause: 'start no further rollouts; running ones go on (deployer)',
  resume: 'continue a paused release (deployer)',
  cancel: 'stop the release: pending rollouts never start, running ones are aborted (deployer)',
};

export function releaseEnded(view: ReleaseView): ExitCode | undefined {
  if (view.phase === 'Completed') return EXIT.ok;
  if (view.phase === 'Failed' || view.phase === 'Cancelled') return EXIT.failed;
  return undefined;
}

const releaseId = (id: string): string => {
  if (!/^rel_[A-Za-z0-9_-]+$/.test(id)) throw new CliError(EXIT.badInput, `"${id}" is not a release id`, [{ path: 'id', message: 'must start with rel_' }]);
  return id;
};

export function watchRelease(ctx: Ctx, id: string, options: { timeout?: string; interval?: string }): Promise<ExitCode> {
  return watchInCli(ctx, options, {
    fetch: async () => (await ctx.client.getRelease(id)).data,
    frame: releaseFrame,
    ended: releaseEnded,
    describe: (v) => `release ${v.id} is still ${v.phase}${v.currentWave ? ` in wave ${v.currentWave}` : ''}`,
  });
}

export function addReleaseCommands(program: Command, runner: Runner): void {
  const releases = program.command('releases').description('batch releases: one version across many services and clusters, in waves');

  releases.command('get').argument('<id>', 'the release id (rel_...)').description('the release, its waves and the service x cluster matrix')
    .action((id: string, _o: unknown, cmd: Command) => runner.exec(cmd, 'viewer', async (ctx) => {
      const { data, raw } = await ctx.client.getRelease(releaseId(id));
      ctx.print(raw, () => renderRelease(data, ctx.io.now()));
    }));

  releases.command('list').description('list releases, newest first')
    .addOption(new Option('--phase <phase>', 'only releases in this phase').choices(RELEASE_PHASES))
    .option('--limit <n>', 'at most n releases (1-200)', positiveInt('--limit'))
    .option('--cursor <cursor>', 'the next page, as printed after a full page')
    .action((opts: { phase?: string; limit?: number; cursor?: string }, cmd: Command) => runner.exec(cmd, 'viewer', async (ctx) => {
      const { data, raw } = await ctx.client.listReleases(opts);
      ctx.print(raw, () => [...renderReleaseList(data.items, ctx.io.now()), ...(data.nextCursor ? [`more: --cursor ${data.nextCursor}`] : [])]);
    }));

  releases.command('watch').argument('<id>', 'the release id (rel_...)')
    .description('follow a release until it ends: exit 0 Completed, 1 Failed or Cancelled, 3 on --timeout')
    .option('--timeout <duration>', 'give up after this long (e.g. 2h); exit 3')
    .option('--interval <duration>', 'time between polls', '5s')
    .action((id: string, opts: { timeout?: string; interval?: string }, cmd: Command) => runner.exec(cmd, 'viewer', (ctx) => watchRelease(ctx, releaseId(id), opts)));

  for (const kind of RELEASE_ACTIONS) {
    const command = releases.command(kind).argument('<id>', 'the release id (rel_...)').description(ACTION_HELP[kind])
      .option('--comment <text>', 'recorded in the release\'s audit trail');
    if (kind === 'approve') command.option('--wave <name>', 'the wave you mean; default the one waiting');
    command.action((id: string, opts: { comment?: string; wave?: string }, cmd: Command) => runner.exec(cmd, kind === 'approve' ? 'approver' : 'deployer', async (ctx) => {
      const { data, raw } = await ctx.client.actOnRelease(releaseId(id), kind, { ...(opts.comment ? { comment: opts.comment } : {}), ...(opts.wave ? { wave: opts.wave } : {}) });
      ctx.print(raw, () => [`${kind} ${id}: ${data.alreadyDone ? 'already done, nothing changed' : 'accepted'}`, ...releaseFrame(data)]);
    }));
  }
}
