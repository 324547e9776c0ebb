/**
 * Shown times, durations and counts, the same on every dashboard page. Pure.
 */

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hourCycle: 'h23' });
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const numberFormat = new Intl.NumberFormat();

/** `14:03:22.481`, with the date in front when it is not today. */
export function shownTime(iso: string | number, now = Date.now()): { time: string; date: string | null } {
  const d = new Date(iso);
  const today = new Date(now).toDateString() === d.toDateString();
  return { time: timeFormat.format(d), date: today ? null : dateFormat.format(d) };
}

export function shownDateTime(iso: string | number): string {
  return dateTimeFormat.format(new Date(iso));
}

/** 0 ms, 840 ms, 1.2 s, 4 min 05 s, 2 h 10 min, 3 d 4 h. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v < 60_000) return `${Math.round(v / 1000)} s`;
  const s = Math.floor(v / 1000);
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** "3 min ago" style, for ages. */
export function ago(ms: number, now = Date.now()): string {
  const d = now - ms;
  if (d < 5_000) return 'just now';
  return `${duration(d).replace(/ \d+ (s|min|h)$/, '')} ago`;
}

export function count(n: number): string {
  return numberFormat.format(n);
}

export function percent(r: number | null | undefined): string {
  if (r === null || r === undefined) return '—';
  if (r > 0 && r < 0.001) return '<0.1%';
  return `${(r * 100).toFixed(r < 0.1 ? 1 : 0)}%`;
}

/** A run or event id shortened for tables; the full id goes in a title. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** Axis labels: 850ms, 1.2s, 45s, 3m, 2h, 4d. */
export function shortDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)}ms`;
  if (v < 10_000) return `${(v / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  if (v < 60_000) return `${Math.round(v / 1000)}s`;
  if (v < 3_600_000) return `${Math.round(v / 60_000)}m`;
  if (v < 86_400_000) return `${Math.round(v / 3_600_000)}h`;
  return `${Math.round(v / 86_400_000)}d`;
}
