import { useEffect, useRef, useState, type RefObject } from 'react';
import type { Point, Threshold } from '../series';

/**
 * A small hand-rolled SVG line chart: a few dozen points per rollout do not justify a charting
 * library in the bundle. It follows its container's width so it fits a phone as well as a desktop.
 */
export interface LineChartProps {
  points: Point[];
  thresholds?: Threshold[];
  /** Draw steps (a value holds until the next point) instead of straight segments. */
  stepped?: boolean;
  yMin?: number;
  yMax?: number;
  unit?: string;
  color?: string;
  height?: number;
  testId?: string;
  label: string;
}

function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(320);
  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(160, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

const format = (v: number): string => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2));
const clock = (t: number): string => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function LineChart({ points, thresholds = [], stepped = false, yMin, yMax, unit = '', color = '#1677ff', height = 180, testId, label }: LineChartProps) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const pad = { left: 44, right: 12, top: 10, bottom: 24 };
  // Fit the data and its thresholds with some air, so a success rate of 94.7 against 99 is visibly apart;
  // never below 0 for non-negative data, never above 100 for percentages that stay within it.
  const values = [...points.map((p) => p.v), ...thresholds.map((t) => t.value)];
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const air = Math.max(hi - lo, Math.abs(hi) * 0.05, 0.01) * 0.15;
  const low = yMin ?? (lo >= 0 && lo - air < 0 ? 0 : lo - air);
  let high = yMax ?? (unit === '%' && hi <= 100 ? Math.min(100, hi + air) : hi + air);
  if (high <= low) high = low + 1;
  const t0 = points[0]?.t ?? 0;
  const t1 = Math.max(points.at(-1)?.t ?? 1, t0 + 1);
  const x = (t: number): number => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (v: number): number => pad.top + (1 - (Math.min(Math.max(v, low), high) - low) / (high - low)) * (height - pad.top - pad.bottom);
  let path = '';
  points.forEach((p, i) => {
    if (i === 0) path += `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    else {
      if (stepped) path += `H${x(p.t).toFixed(1)}`;
      path += `L${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    }
  });
  const ticks = [low, (low + high) / 2, high];
  return (
    <div ref={ref} style={{ width: '100%' }} data-testid={testId}>
      <svg width={width} height={height} role="img" aria-label={label} style={{ display: 'block' }}>
        {ticks.map((v) => (
          <g key={`tick-${v}`}>
            <line x1={pad.left} x2={width - pad.right} y1={y(v)} y2={y(v)} stroke="#f0f0f0" />
            <text x={pad.left - 6} y={y(v) + 4} fontSize={10} textAnchor="end" fill="#8c8c8c">{format(v)}{unit}</text>
          </g>
        ))}
        {thresholds.map((th) => (
          <g key={`th-${th.label}`} data-threshold={th.value}>
            <line x1={pad.left} x2={width - pad.right} y1={y(th.value)} y2={y(th.value)} stroke="#ff4d4f" strokeDasharray="5 4" />
            <text x={width - pad.right} y={y(th.value) - 4} fontSize={10} textAnchor="end" fill="#cf1322">{th.label}</text>
          </g>
        ))}
        {points.length > 0 && (
          <>
            <text x={pad.left} y={height - 6} fontSize={10} fill="#8c8c8c">{clock(t0)}</text>
            <text x={width - pad.right} y={height - 6} fontSize={10} textAnchor="end" fill="#8c8c8c">{clock(t1)}</text>
          </>
        )}
        <path d={path} fill="none" stroke={color} strokeWidth={2} />
        {points.map((p, i) => (
          <circle key={`${p.t}-${i}`} cx={x(p.t)} cy={y(p.v)} r={2.5} fill={color} />
        ))}
        {points.length === 0 && (
          <text x={width / 2} y={height / 2} fontSize={12} textAnchor="middle" fill="#8c8c8c">no data yet</text>
        )}
      </svg>
    </div>
  );
}
