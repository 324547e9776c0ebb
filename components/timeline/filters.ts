/**
 * The timeline's filter lives in the URL, so a view can be shared: `?type=task.*,run.*&run=…&workflow=…
 * &key=…&agent=…&source=agent&from=2026-05-01T10:00&to=…&q=text`, plus `seq` (jump to it) and `event`
 * (the open event). Parsing is forgiving with people and strict with values: an invalid part is left out
 * and reported, never passed on. Pure.
 */
import { SOURCE_KINDS, TypePattern, type SourceKind } from '@/server/spine/events';
import type { TimelineFilter } from '@/server/observability';

/** Rows per timeline window (one query). */
export const PAGE_SIZE = 100;

export type TimelineUrl = { filter: TimelineFilter; jump: number | null; selected: number | null; problems: string[] };

const SEQ = /^\d{1,15}$/;

/** `2026-05-01T10:00` (local, from a datetime-local input) or any ISO instant → epoch ms. */
export function parseInstant(s: string): number | null {
  if (!s.trim()) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

/** Epoch ms → the value a datetime-local input shows (local time, seconds when needed). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() ? `${base}:${pad(d.getSeconds())}` : base;
}

export function parseTimelineUrl(params: URLSearchParams): TimelineUrl {
  const filter: TimelineFilter = {};
  const problems: string[] = [];
  const text = (name: string, max: number) => {
    const v = params.get(name)?.trim();
    if (!v) return undefined;
    if (v.length > max) {
      problems.push(`${name} is longer than ${max} characters`);
      return undefined;
    }
    return v;
  };
  const types = params
    .get('type')
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (types?.length) {
    const ok = types.filter((t) => TypePattern.safeParse(t).success);
    for (const t of types) if (!ok.includes(t)) problems.push(`“${t}” is not a type pattern (like task.* or run.completed)`);
    if (ok.length) filter.types = ok.slice(0, 32);
  }
  const run = text('run', 128);
  if (run) filter.runId = run;
  const workflow = text('workflow', 128);
  if (workflow) filter.workflowId = workflow;
  const key = text('key', 256);
  if (key) filter.key = key;
  const agent = text('agent', 128);
  if (agent) filter.agent = agent;
  const source = params.get('source');
  if (source) {
    if ((SOURCE_KINDS as readonly string[]).includes(source)) filter.sourceKind = source as SourceKind;
    else problems.push(`source must be one of ${SOURCE_KINDS.join(', ')}`);
  }
  for (const [name, field] of [['from', 'fromMs'], ['to', 'toMs']] as const) {
    const raw = params.get(name);
    if (!raw) continue;
    const ms = parseInstant(raw);
    if (ms === null || ms < 0) problems.push(`${name} is not a date and time`);
    else filter[field] = ms;
  }
  if (filter.fromMs !== undefined && filter.toMs !== undefined && filter.fromMs > filter.toMs) {
    problems.push('from is after to');
    delete filter.toMs;
  }
  const q = text('q', 200);
  if (q) filter.text = q;
  const num = (name: string) => {
    const v = params.get(name);
    if (!v) return null;
    if (!SEQ.test(v)) {
      problems.push(`${name} must be a seq number`);
      return null;
    }
    return Number(v);
  };
  return { filter, jump: num('seq'), selected: num('event'), problems };
}

/** The query string for a filter (and optionally the open event and a jump), in a stable order. */
export function timelineSearch(filter: TimelineFilter, extra: { jump?: number | null; selected?: number | null } = {}): string {
  const p = new URLSearchParams();
  if (filter.types?.length) p.set('type', filter.types.join(','));
  if (filter.runId) p.set('run', filter.runId);
  if (filter.workflowId) p.set('workflow', filter.workflowId);
  if (filter.key) p.set('key', filter.key);
  if (filter.agent) p.set('agent', filter.agent);
  if (filter.sourceKind) p.set('source', filter.sourceKind);
  if (filter.fromMs !== undefined) p.set('from', new Date(filter.fromMs).toISOString());
  if (filter.toMs !== undefined) p.set('to', new Date(filter.toMs).toISOString());
  if (filter.text) p.set('q', filter.text);
  if (extra.jump) p.set('seq', String(extra.jump));
  if (extra.selected) p.set('event', String(extra.selected));
  // Commas and colons are safe in a query string and keep shared links readable.
  const s = p.toString().replace(/%2C/gi, ',').replace(/%3A/gi, ':');
  return s ? `?${s}` : '';
}

export function isFiltered(f: TimelineFilter): boolean {
  return Object.values(f).some((v) => v !== undefined && !(Array.isArray(v) && v.length === 0));
}

/** A stable key for caches: the same filter always gives the same string. */
export function filterKey(f: TimelineFilter): string {
  return timelineSearch(f);
}
