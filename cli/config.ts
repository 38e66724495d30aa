import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { issuesToDetails } from '../lib/domain/validation.js';
import { CliError, EXIT } from './errors.js';

export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

/** `~/.config/codedance/config.yaml` (or `--config`): every key optional, unknown keys refused. */
const configFileSchema = z.strictObject({
  apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:3000' }).optional(),
  token: z.string().min(1, 'must not be empty').optional(),
  output: z.enum(OUTPUTS, `must be one of ${OUTPUTS.join(', ')}`).optional(),
});

export interface ConfigFlags { apiUrl?: string; token?: string; config?: string; output?: string }

export interface ConfigSources {
  flags: ConfigFlags;
  env: NodeJS.ProcessEnv;
  /** Reads a file; undefined when it does not exist. */
  readFile: (path: string) => string | undefined;
  home?: string;
}

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface ResolvedConfig {
  apiUrl: string | undefined;
  token: string | undefined;
  output: Output;
  /** Where each setting came from, for messages that tell the user what to change. */
  from: { apiUrl: Source; token: Source; output: Source };
  configPath: string;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv, home = homedir()): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'codedance', 'config.yaml');
}

/** Flags win over the environment, which wins over the config file. */
export function resolveConfig({ flags, env, readFile, home }: ConfigSources): ResolvedConfig {
  const configPath = flags.config ?? env.CODEDANCE_CONFIG ?? defaultConfigPath(env, home);
  const file = readConfigFile(configPath, readFile, flags.config !== undefined || env.CODEDANCE_CONFIG !== undefined);
  const pick = <T>(flag: T | undefined, fromEnv: T | undefined, fromFile: T | undefined): [T | undefined, Source] =>
    flag !== undefined && flag !== '' ? [flag, 'flag'] : fromEnv !== undefined && fromEnv !== '' ? [fromEnv, 'env'] : fromFile !== undefined ? [fromFile, 'file'] : [undefined, 'default'];
  const [apiUrl, apiUrlFrom] = pick(flags.apiUrl, env.CODEDANCE_API_URL, file.apiUrl);
  const [token, tokenFrom] = pick(flags.token, env.CODEDANCE_TOKEN, file.token);
  const [output, outputFrom] = pick(flags.output, env.CODEDANCE_OUTPUT, file.output);
  const checkedOutput = z.enum(OUTPUTS).safeParse(output ?? 'table');
  if (!checkedOutput.success) {
    throw new CliError(EXIT.badInput, `Unknown output format "${output}"`, [{ path: outputFrom === 'flag' ? '--output' : 'CODEDANCE_OUTPUT', message: `must be one of ${OUTPUTS.join(', ')}` }]);
  }
  return { apiUrl, token, output: checkedOutput.data, from: { apiUrl: apiUrlFrom, token: tokenFrom, output: outputFrom }, configPath };
}

function readConfigFile(path: string, readFile: ConfigSources['readFile'], explicit: boolean): z.infer<typeof configFileSchema> {
  const text = readFile(path);
  if (text === undefined) {
    // The default file is optional; one named on purpose must exist.
    if (explicit) throw new CliError(EXIT.badInput, `The config file ${path} does not exist`);
    return {};
  }
  let content: unknown;
  try {
    content = parse(text) ?? {};
  } catch (error) {
    throw new CliError(EXIT.badInput, `The config file ${path} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const parsed = configFileSchema.safeParse(content);
  if (!parsed.success) throw new CliError(EXIT.badInput, `The config file ${path} is invalid`, issuesToDetails(parsed.error.issues));
  return parsed.data;
}

/** The API URL, or a refusal that says the three ways to give one. */
export function requireApiUrl(config: ResolvedConfig): string {
  if (!config.apiUrl) throw new CliError(EXIT.badInput, `No API URL: pass --api-url, set CODEDANCE_API_URL, or put "apiUrl:" in ${config.configPath}`);
  if (!z.url({ protocol: /^https?$/ }).safeParse(config.apiUrl).success) {
    const where = { flag: '--api-url', env: 'CODEDANCE_API_URL', file: `${config.configPath}: apiUrl`, default: 'apiUrl' }[config.from.apiUrl];
    throw new CliError(EXIT.badInput, `The API URL "${config.apiUrl}" is not valid`, [{ path: where, message: 'must be an http(s) URL such as http://127.0.0.1:3000' }]);
  }
  return config.apiUrl;
}
