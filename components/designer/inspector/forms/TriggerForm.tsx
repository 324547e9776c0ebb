'use client';
import { useMemo } from 'react';
import { KEY_HOLDS, nextCronTime, TRIGGER_MODES } from '@/server/workflows/schema';
import { Segmented, TextField } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

const MODE_LABELS: Record<(typeof TRIGGER_MODES)[number], string> = { manual: 'Manual / API', event: 'On event', schedule: 'Schedule' };
const HOLD_LABELS: Record<(typeof KEY_HOLDS)[number], string> = { working: 'While working', run: 'Whole run' };

export function TriggerForm({ id, config, fieldProblems }: FormProps<'trigger'>) {
  const f = useConfigForm(id, 'trigger', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  const cron = typeof f.draft.cron === 'string' ? f.draft.cron : '';
  const upcoming = useMemo(() => {
    if (f.draft.mode !== 'schedule' || !cron || f.issues.cron) return [];
    const out: string[] = [];
    let t = Date.now();
    for (let i = 0; i < 3; i++) {
      const next = nextCronTime(cron, t);
      if (next === null) break;
      out.push(new Date(next).toISOString().replace('T', ' ').slice(0, 16));
      t = next;
    }
    return out;
  }, [cron, f.draft.mode, f.issues.cron]);
  return (
    <div className="space-y-3">
      <Segmented
        label="Starts"
        testId="trigger-mode"
        value={f.draft.mode ?? 'manual'}
        options={TRIGGER_MODES.map((m) => ({ value: m, label: MODE_LABELS[m] }))}
        onChange={(mode) => f.replace({ mode, ...(f.draft.keyHold !== undefined && { keyHold: f.draft.keyHold }), ...(mode === 'event' && { eventType: f.draft.eventType ?? '' }), ...(mode === 'schedule' && { cron: f.draft.cron ?? '0 9 * * 1-5' }) }, 'mode')}
      />
      {f.draft.mode === 'manual' && <p className="text-xs text-zinc-500 dark:text-zinc-400">Runs start from the Run button or the API (POST /api/v1/workflows/&lt;id&gt;/runs).</p>}
      {f.draft.mode === 'event' && (
        <TextField label="Event type" mono placeholder="case.opened or booking.*" value={String(f.draft.eventType ?? '')} onChange={(v) => f.set({ eventType: v }, 'eventType')} error={err('eventType')} hint="A type or pattern: * matches one segment, a trailing * the rest." testId="trigger-event-type" />
      )}
      {f.draft.mode === 'schedule' && (
        <>
          <TextField label="Cron (UTC)" mono placeholder="0 9 * * 1-5" value={cron} onChange={(v) => f.set({ cron: v }, 'cron')} error={err('cron')} hint="minute hour day-of-month month day-of-week" />
          {upcoming.length > 0 && (
            <div className="text-xs text-zinc-500 dark:text-zinc-400">
              Next: <span className="font-mono">{upcoming.join(' · ')}</span>
            </div>
          )}
        </>
      )}
      <Segmented
        label="Entity key held"
        testId="trigger-key-hold"
        value={f.draft.keyHold ?? 'working'}
        options={KEY_HOLDS.map((h) => ({ value: h, label: HOLD_LABELS[h] }))}
        onChange={(keyHold) => f.set({ keyHold }, 'keyHold')}
      />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        {(f.draft.keyHold ?? 'working') === 'working'
          ? 'Runs with the same key take turns only while they work: one waiting on a person or a delay lets the next go first, and takes its turn again after.'
          : 'A run holds its key until it ends: later runs on the same key wait, even while it waits on a person.'}
      </p>
    </div>
  );
}