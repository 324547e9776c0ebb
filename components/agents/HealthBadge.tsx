import { Badge, type BadgeTone } from '@/components/ui';
import type { AgentHealthStatus } from '@/server/observability';

const TONE: Record<AgentHealthStatus, BadgeTone> = { online: 'success', degraded: 'warning', offline: 'neutral' };

/** An agent's health status (online / degraded / offline), its reason on hover. */
export function HealthBadge({ agent, status, reason }: { agent: string; status: AgentHealthStatus | undefined; reason?: string }) {
  if (!status) return <span className="text-xs text-zinc-400">…</span>;
  return (
    <Badge tone={TONE[status]} title={reason} data-testid={`agent-health-${agent}`} data-status={status}>
      {status}
    </Badge>
  );
}

/** A share as a percentage, or a dash. */
export const percent = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10} %`);
/** Milliseconds for people, or a dash. */
export const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
/** How long ago, or "not in the last hour". */
export function ago(t: number | null | undefined, now: number): string {
  if (t === null || t === undefined) return 'not in the last hour';
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}
