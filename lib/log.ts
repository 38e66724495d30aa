/**
 * Structured one-line JSON logs (CloudWatch parses them). The level comes from CODEDANCE_LOG_LEVEL
 * so tests can keep quiet; nothing else in lib/ reads the environment.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

const byName: Record<string, number> = LEVELS;
const threshold = (): number => byName[process.env.CODEDANCE_LOG_LEVEL ?? 'info'] ?? LEVELS.info;

function write(level: Level, msg: string, fields: Record<string, unknown>): void {
  if (LEVELS[level] < threshold()) return;
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  debug: (msg: string, fields: Record<string, unknown> = {}) => write('debug', msg, fields),
  info: (msg: string, fields: Record<string, unknown> = {}) => write('info', msg, fields),
  warn: (msg: string, fields: Record<string, unknown> = {}) => write('warn', msg, fields),
  error: (msg: string, fields: Record<string, unknown> = {}) => write('error', msg, fields),
};
