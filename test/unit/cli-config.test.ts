import { describe, expect, it } from 'vitest';
import { defaultConfigPath, requireApiUrl, resolveConfig, type ConfigFlags } from '../../cli/config.js';
import { CliError, EXIT } from '../../cli/errors.js';

const HOME = '/home/tester';
const DEFAULT_FILE = '/home/tester/.config/codedance/config.yaml';

function resolve(flags: ConfigFlags, env: NodeJS.ProcessEnv, files: Record<string, string>) {
  return resolveConfig({ flags, env, home: HOME, readFile: (path) => files[path] });
}
const refusal = (fn: () => unknown): CliError => {
  try { fn(); } catch (error) { if (error instanceof CliError) return error; throw error; }
  throw new Error('expected a refusal');
};

describe('CLI configuration precedence: flags, then environment, then config file', () => {
  const file = { [DEFAULT_FILE]: 'apiUrl: http://file.example:3000\ntoken: file-token\noutput: yaml\n' };
  const env = { CODEDANCE_API_URL: 'http://env.example:3000', CODEDANCE_TOKEN: 'env-token', CODEDANCE_OUTPUT: 'json' };

  it.each<[string, ConfigFlags, NodeJS.ProcessEnv, { apiUrl: string; token: string; output: string }]>([
    ['file only', {}, {}, { apiUrl: 'http://file.example:3000', token: 'file-token', output: 'yaml' }],
    ['environment over file', {}, env, { apiUrl: 'http://env.example:3000', token: 'env-token', output: 'json' }],
    ['flags over environment', { apiUrl: 'http://flag.example:1', token: 'flag-token', output: 'table' }, env, { apiUrl: 'http://flag.example:1', token: 'flag-token', output: 'table' }],
    ['each setting on its own', { token: 'flag-token' }, { CODEDANCE_API_URL: 'http://env.example:3000' }, { apiUrl: 'http://env.example:3000', token: 'flag-token', output: 'yaml' }],
  ])('%s', (_name, flags, environment, expected) => {
    expect(resolve(flags, environment, file)).toMatchObject(expected);
  });

  it('says where each setting came from', () => {
    expect(resolve({ token: 't' }, { CODEDANCE_API_URL: 'http://e:1' }, file).from).toEqual({ apiUrl: 'env', token: 'flag', output: 'file' });
  });

  it('defaults to table output and has no URL or token without any source', () => {
    expect(resolve({}, {}, {})).toMatchObject({ apiUrl: undefined, token: undefined, output: 'table', from: { apiUrl: 'default', token: 'default', output: 'default' } });
  });

  it('an empty environment variable does not hide the config file', () => {
    expect(resolve({}, { CODEDANCE_TOKEN: '' }, file).token).toBe('file-token');
  });

  it('--config, then CODEDANCE_CONFIG, then XDG_CONFIG_HOME name the file', () => {
    const files = { '/a.yaml': 'token: from-a\n', '/b.yaml': 'token: from-b\n', '/xdg/codedance/config.yaml': 'token: from-xdg\n' };
    expect(resolve({ config: '/a.yaml' }, { CODEDANCE_CONFIG: '/b.yaml' }, files).token).toBe('from-a');
    expect(resolve({}, { CODEDANCE_CONFIG: '/b.yaml' }, files).token).toBe('from-b');
    expect(resolve({}, { XDG_CONFIG_HOME: '/xdg' }, files).token).toBe('from-xdg');
    expect(defaultConfigPath({}, HOME)).toBe(DEFAULT_FILE);
  });

  it('a config file named on purpose must exist; the default one may be missing', () => {
    expect(refusal(() => resolve({ config: '/missing.yaml' }, {}, {})).message).toContain('/missing.yaml does not exist');
    expect(resolve({}, {}, {}).configPath).toBe(DEFAULT_FILE);
  });

  it('an invalid config file is refused with each field path, exit 2', () => {
    const error = refusal(() => resolve({}, {}, { [DEFAULT_FILE]: 'apiUrl: not a url\ntoken: ""\ncolour: blue\n' }));
    expect(error.exitCode).toBe(EXIT.badInput);
    expect(error.details.map((d) => d.path).sort()).toEqual(['apiUrl', 'colour', 'token']);
  });

  it('an unknown output format names where it came from', () => {
    expect(refusal(() => resolve({}, { CODEDANCE_OUTPUT: 'xml' }, {})).details).toEqual([{ path: 'CODEDANCE_OUTPUT', message: 'must be one of table, json, yaml' }]);
  });

  it('a missing or malformed API URL says how to give one', () => {
    expect(refusal(() => requireApiUrl(resolve({}, {}, {}))).message).toMatch(/--api-url.*CODEDANCE_API_URL.*apiUrl/);
    expect(refusal(() => requireApiUrl(resolve({ apiUrl: 'localhost:3000' }, {}, {}))).details).toEqual([{ path: '--api-url', message: 'must be an http(s) URL such as http://127.0.0.1:3000' }]);
  });
});
