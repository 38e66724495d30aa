import { parseDuration } from '../lib/domain/duration.js';
import { CliError, EXIT } from './errors.js';

/** Option values are checked like documents: a refusal names the flag and the rule, exit 2. */
export const positiveInt = (flag: string) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw new CliError(EXIT.badInput, `Invalid ${flag} "${text}"`, [{ path: flag, message: 'must be a whole number from 1 to 200' }]);
  return n;
};

/** `--timeout 10m`, `--interval 2s`: durations written like the spec's. */
export function durationOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliError(EXIT.badInput, `Invalid ${flag} "${text}"`, [{ path: flag, message: 'must be a duration such as 30s, 10m or 1h30m' }]);
  return ms;
}
