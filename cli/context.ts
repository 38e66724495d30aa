import type { Command } from 'commander';
import type { Role } from '../lib/http/auth.js';
import { ApiClient } from './api-client.js';
import { resolveConfig, requireApiUrl, type ResolvedConfig } from './config.js';
import { ApiError, CliError, EXIT, exitCodeFor, type ExitCode } from './errors.js';
import { formatError, formatOutput } from './render.js';

/** Everything the CLI touches outside itself, so tests can run it in-process as well as as a child. */
export interface Io {
  stdout: { write(text: string): void; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): void };
  readStdin: () => Promise<string>;
  /** undefined when the file does not exist. */
  readFile: (path: string) => string | undefined;
  env: NodeJS.ProcessEnv;
  home?: string;
  now: () => Date;
  fetch?: typeof fetch;
}

export interface Ctx {
  io: Io;
  config: ResolvedConfig;
  client: ApiClient;
  /** Prints an answer in the chosen output format. */
  print(raw: unknown, tableLines: () => string[]): void;
}

/** `codedance releases approve`, for messages. */
const label = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

/**
 * Runs one command's body: resolves the configuration, checks a token is there, and turns every error
 * into its message (with field paths) and exit code. `role` is what the API will ask for, named in
 * the message when the token is missing, wrong (401) or too weak (403).
 */
export class Runner {
  exitCode: ExitCode = EXIT.ok;
  constructor(readonly io: Io) {}

  async exec(cmd: Command, role: Role, body: (ctx: Ctx) => Promise<ExitCode | void>): Promise<void> {
    const name = label(cmd);
    try {
      const flags: Record<string, unknown> = cmd.optsWithGlobals();
      const text = (key: string): string | undefined => (typeof flags[key] === 'string' ? flags[key] : undefined);
      const config = resolveConfig({ flags: { apiUrl: text('apiUrl'), token: text('token'), config: text('config'), output: text('output') }, env: this.io.env, readFile: this.io.readFile, home: this.io.home });
      const apiUrl = requireApiUrl(config);
      if (!config.token) {
        throw new CliError(EXIT.auth, `No API token: \`${name}\` needs a token with the ${role} role. Pass --token, set CODEDANCE_TOKEN, or put "token:" in ${config.configPath}`);
      }
      const ctx: Ctx = {
        io: this.io, config, client: new ApiClient(apiUrl, config.token, this.io.fetch),
        print: (raw, lines) => this.io.stdout.write(formatOutput(config.output, raw, lines)),
      };
      this.exitCode = (await body(ctx)) ?? EXIT.ok;
    } catch (error) {
      this.exitCode = exitCodeFor(error);
      this.io.stderr.write(`${formatError(error, hintFor(error, name, role)).join('\n')}\n`);
    }
  }
}

function hintFor(error: unknown, name: string, role: Role): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const holder = role === 'viewer' ? 'any valid token' : `a token with the ${role} role (or admin)`;
  if (error.status === 403) return `\`${name}\` needs ${holder}; ask for one or use another token.`;
  if (error.status === 401) return `\`${name}\` needs ${holder}: check --token, CODEDANCE_TOKEN or "token:" in the config file.`;
  return undefined;
}
