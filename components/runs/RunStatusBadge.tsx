import { Badge, type BadgeTone } from '@/components/ui';

const TONE: Record<string, BadgeTone> = { queued: 'neutral', running: 'info', waiting: 'warning', completed: 'success', failed: 'danger', cancelled: 'neutral' };

/** A run's (or node's) status as a coloured badge; running ones pulse. */
export function RunStatusBadge({ status, className }: { status: string; className?: string }) {
  return (
    <Badge tone={TONE[status] ?? 'neutral'} className={className} data-testid="run-status" data-status={status}>
      {status === 'running' && <span className="size-1.5 animate-pulse rounded-full bg-current" aria-hidden />}
      {status}
    </Badge>
  );
}
