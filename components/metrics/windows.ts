/** The overview's time windows and the one a `?window=` parameter asks for. Pure. */
import type { MetricWindow } from '@/server/observability';

export const WINDOWS: { id: MetricWindow; label: string }[] = [
  { id: '15m', label: '15 min' },
  { id: '1h', label: '1 hour' },
  { id: '24h', label: '24 hours' },
  { id: '7d', label: '7 days' },
];

export function windowOf(param: string | null | undefined): MetricWindow {
  return WINDOWS.some((x) => x.id === param) ? (param as MetricWindow) : '1h';
}
