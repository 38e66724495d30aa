import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { OUTPUTS } from './config.js';
import { Runner, type Io } from './context.js';
import { EXIT, exitCodeFor } from './errors.js';
import { addReleaseCommands } from './release-commands.js';
import { formatError } from './render.js';
import { addRolloutCommands } from './rollout-commands.js';

export type { Io } from './context.js';

/** The `codedance` command tree; global options apply before or after the sub-command. */
export function buildProgram(runner: Runner): Command {
  const program = new Command('codedance')
    .description('Start, follow and steer Codedance canary rollouts and releases from a terminal or a CI job.')
    .option('--api-url <url>', 'the API (env CODEDANCE_API_URL, config apiUrl)')
    .option('--token <token>', 'bearer token (env CODEDANCE_TOKEN, config token)')
    .option('--config <file>', 'config file (env CODEDANCE_CONFIG; default ~/.config/codedance/config.yaml)')
    .addOption(new Option('-o, --output <format>', 'table, json or yaml (env CODEDANCE_OUTPUT, config output; default table)').choices(OUTPUTS))
    .showHelpAfterError('(codedance --help lists the commands and options)')
    .exitOverride()
    .configureOutput({ writeOut: (t) => runner.io.stdout.write(t), writeErr: (t) => runner.io.stderr.write(t) })
    .addHelpText('after', '\nExit codes: 0 ok, 1 rollout failed or error, 2 bad input (file or 4xx), 3 timeout, 4 token refused (401/403).');
  addRolloutCommands(program, runner);
  addReleaseCommands(program, runner);
  // Sub-commands report usage errors through the same exit path as the root.
  const inherit = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride().showHelpAfterError('(add --help for usage)').configureOutput({ writeOut: (t) => runner.io.stdout.write(t), writeErr: (t) => runner.io.stderr.write(t) });
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs the CLI and returns its exit code (the caller sets process.exitCode). */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const runner = new Runner(io);
  const program = buildProgram(runner);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return runner.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    io.stderr.write(`${formatError(error).join('\n')}\n`);
    return exitCodeFor(error);
  }
}

/** The real process's inputs and outputs. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
      return Buffer.concat(chunks).toString('utf8');
    },
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        if (error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'EISDIR' || error.code === 'EACCES')) return undefined;
        throw error;
      }
    },
    env: process.env,
    now: () => new Date(),
  };
}
