/** One colour per phase, shared by tags, the release matrix and the list. */
const COLORS: Record<string, string> = {
  Initializing: 'default',
  Pending: 'default',
  Progressing: 'processing',
  Running: 'processing',
  Paused: 'warning',
  AwaitingApproval: 'warning',
  Halting: 'warning',
  Promoting: 'cyan',
  RollingBack: 'volcano',
  Completed: 'success',
  Failed: 'error',
  Cancelled: 'default',
};

export const phaseColor = (phase: string): string => COLORS[phase] ?? 'default';

/** Background colours for the release matrix cells (a tag colour name is not a CSS colour). */
const CELL: Record<string, string> = {
  Pending: '#fafafa',
  Initializing: '#fafafa',
  Progressing: '#e6f4ff',
  Running: '#e6f4ff',
  Promoting: '#e6fffb',
  Paused: '#fffbe6',
  AwaitingApproval: '#fffbe6',
  RollingBack: '#fff2e8',
  Completed: '#f6ffed',
  Failed: '#fff1f0',
  Cancelled: '#f5f5f5',
};
export const cellColor = (phase: string): string => CELL[phase] ?? '#fafafa';

export const ROLLOUT_PHASES = ['Initializing', 'Progressing', 'Paused', 'Promoting', 'RollingBack', 'Completed', 'Failed'];

export const ago = (iso: string | undefined, now = Date.now()): string => {
  if (!iso) return '';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
};
