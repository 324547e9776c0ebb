/**
 * The SLA of an approval as people read it: time left, or how long overdue, and what happens when it
 * lapses (the node's `onLapse`). Pure; the card ticks it once a second.
 */
export type Countdown = { text: string; tone: 'neutral' | 'warning' | 'danger'; overdue: boolean };

/** Under this much time left, the countdown turns amber. @default 15 minutes */
export const SOON_MS = 15 * 60_000;

/** `2d 3h`, `3h 05m`, `4m 09s`, `12s`. */
export function formatSpan(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${two(m)}m`;
  if (m > 0) return `${m}m ${two(sec)}s`;
  return `${sec}s`;
}

export function countdown(dueAt: string, now: number): Countdown {
  const left = new Date(dueAt).getTime() - now;
  if (left <= 0) return { text: `overdue by ${formatSpan(left)}`, tone: 'danger', overdue: true };
  return { text: `${formatSpan(left)} left`, tone: left < SOON_MS ? 'warning' : 'neutral', overdue: false };
}

const LAPSE: Record<'approve' | 'reject' | 'fail' | 'escalate', string> = {
  approve: 'then it is approved automatically',
  reject: 'then it is rejected automatically',
  fail: 'then the run fails',
  escalate: 'then it is escalated to another role',
};

export function lapseText(onLapse: keyof typeof LAPSE): string {
  return LAPSE[onLapse];
}
