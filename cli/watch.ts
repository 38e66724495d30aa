import { formatDuration } from '../lib/domain/duration.js';
import type { Ctx } from './context.js';
import { ApiError, CliError, EXIT, type ExitCode } from './errors.js';
import { durationOption } from './options.js';

export interface Screen {
  write(text: string): void;
  /** True on a terminal: the frame is redrawn in place instead of appended. */
  isTTY: boolean;
  /** Terminal width; lines are cut to it so a wrapped line cannot throw the redraw off by one. */
  columns?: number;
}

export interface WatchOptions<T> {
  /** Reads the current state. */
  fetch: () => Promise<T>;
  frame: (state: T) => string[];
  /** The exit code once the watched thing has ended, undefined while it runs. */
  ended: (state: T) => ExitCode | undefined;
  /** A line for the timeout message, e.g. "still Progressing". */
  describe: (state: T) => string;
  out: Screen;
  warn: (line: string) => void;
  intervalMs: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const ERASE_FRAME = (lines: number): string => (lines > 0 ? `\x1b[${lines}F\x1b[0J` : '');

/**
 * Polls until the rollout or release ends. On a terminal the frame is redrawn in place; elsewhere
 * (CI logs) a frame is appended only when it changed, so logs stay short. A network error or a 5xx
 * is retried until the timeout: a watch in a pipeline should not fail because one poll did.
 */
export async function watch<T>(o: WatchOptions<T>): Promise<ExitCode> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const deadline = o.timeoutMs === undefined ? Infinity : now() + o.timeoutMs;
  let shown: string[] = [];
  let last: T | undefined;
  for (;;) {
    try {
      last = await o.fetch();
      const width = o.out.columns;
      const lines = o.frame(last).map((l) => (o.out.isTTY && width && l.length >= width ? `${l.slice(0, width - 2)}~` : l));
      if (o.out.isTTY) {
        o.out.write(`${ERASE_FRAME(shown.length)}${lines.join('\n')}\n`);
      } else if (lines.join('\n') !== shown.join('\n')) {
        o.out.write(`${lines.join('\n')}\n`);
      }
      shown = lines;
      const code = o.ended(last);
      if (code !== undefined) return code;
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 0 && error.status < 500)) throw error;
      o.warn(`warning: ${error.message} (retrying)`);
    }
    const left = deadline - now();
    if (left <= 0) {
      throw new CliError(EXIT.timeout, `Timed out after ${formatDuration(o.timeoutMs ?? 0)}; ${last === undefined ? 'the API never answered' : o.describe(last)}`);
    }
    await sleep(Math.min(o.intervalMs, left));
  }
}

/** `watch` on the CLI's own terminal, with its `--interval` (default 2 s) and `--timeout` options. */
export function watchInCli<T>(ctx: Ctx, options: { timeout?: string; interval?: string }, what: Pick<WatchOptions<T>, 'fetch' | 'frame' | 'ended' | 'describe'>): Promise<ExitCode> {
  return watch({
    ...what,
    out: { write: (t) => ctx.io.stdout.write(t), isTTY: ctx.io.stdout.isTTY === true, columns: ctx.io.stdout.columns },
    warn: (line) => ctx.io.stderr.write(`${line}\n`),
    intervalMs: durationOption('--interval', options.interval) ?? 2000,
    timeoutMs: durationOption('--timeout', options.timeout),
  });
}
