'use client';
import { Badge } from '@/components/ui';
import { countdown, lapseText } from './countdown';
import { useNow } from './useNow';

/** Time left to decide, ticking; without an SLA, says so. */
export function SlaCountdown({ dueAt, onLapse }: { dueAt: string | null; onLapse: 'approve' | 'reject' | 'fail' | 'escalate' | null }) {
  if (!dueAt)
    return (
      <Badge data-testid="approval-sla" data-state="none">
        No deadline
      </Badge>
    );
  return <Ticking dueAt={dueAt} onLapse={onLapse} />;
}

function Ticking({ dueAt, onLapse }: { dueAt: string; onLapse: 'approve' | 'reject' | 'fail' | 'escalate' | null }) {
  const now = useNow();
  const c = countdown(dueAt, now);
  return (
    <Badge
      data-testid="approval-sla"
      data-state={c.overdue ? 'overdue' : 'running'}
      tone={c.tone}
      className="tabular-nums"
      title={`Due ${new Date(dueAt).toLocaleString()}${onLapse ? `; ${lapseText(onLapse)}` : ''}`}
    >
      {c.text}
    </Badge>
  );
}
