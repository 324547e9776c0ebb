/**
 * The run list's state in the URL (`?status=running,waiting&workflow=…&key=…&by=…&q=…&sort=duration&dir=asc
 * &page=2`) and the query it asks for. Pure, so the page prefetches exactly what the table will request.
 */
import type { RunListQuery } from '@/server/observability';

export const STATUSES = ['queued', 'running', 'waiting', 'completed', 'failed', 'cancelled'] as const;
export const SORTS = [
  { id: 'started', label: 'Started' },
  { id: 'updated', label: 'Last activity' },
  { id: 'duration', label: 'Duration' },
  { id: 'status', label: 'Status' },
  { id: 'workflow', label: 'Workflow' },
] as const;
export type SortId = (typeof SORTS)[number]['id'];
/** Runs per page. */
export const PAGE = 50;

export type RunsUrl = {
  statuses: (typeof STATUSES)[number][];
  workflowId?: string;
  key?: string;
  startedBy?: string;
  runId?: string;
  sort: SortId;
  dir: 'asc' | 'desc';
  page: number;
};

export function parseRunsUrl(p: URLSearchParams): RunsUrl {
  const statuses = (p.get('status') ?? '').split(',').filter((s): s is (typeof STATUSES)[number] => (STATUSES as readonly string[]).includes(s));
  const sort = (SORTS.some((s) => s.id === p.get('sort')) ? p.get('sort') : 'started') as SortId;
  const page = Math.max(0, Math.floor(Number(p.get('page') ?? 1)) - 1) || 0;
  return {
    statuses,
    workflowId: p.get('workflow')?.slice(0, 128) || undefined,
    key: p.get('key')?.slice(0, 256) || undefined,
    startedBy: p.get('by')?.slice(0, 128) || undefined,
    runId: p.get('q')?.slice(0, 128) || undefined,
    sort,
    dir: p.get('dir') === 'asc' ? 'asc' : 'desc',
    page,
  };
}

export function runListInput(q: RunsUrl): RunListQuery {
  return {
    ...(q.statuses.length && { statuses: q.statuses }),
    ...(q.workflowId && { workflowId: q.workflowId }),
    ...(q.key && { key: q.key }),
    ...(q.startedBy && { startedBy: q.startedBy }),
    ...(q.runId && { runId: q.runId }),
    sort: q.sort,
    dir: q.dir,
    offset: q.page * PAGE,
    limit: PAGE,
  };
}

/** The compare page of two runs (app/runs/compare): a on the left, b on the right. */
export const compareHref = (a: string, b: string) => `/runs/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
