'use client';
import { ExpressionEditor } from '../ExpressionEditor';
import { DurationField, Segmented } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

export function DelayForm({ id, config, fieldProblems }: FormProps<'delay'>) {
  const f = useConfigForm(id, 'delay', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  return (
    <div className="space-y-3">
      <Segmented
        label="Wait"
        value={(f.draft.mode ?? 'duration') as 'duration' | 'until'}
        options={[
          { value: 'duration', label: 'For a duration' },
          { value: 'until', label: 'Until an instant' },
        ]}
        onChange={(mode) => f.replace(mode === 'duration' ? { mode, durationMs: 60_000 } : { mode, until: 'input.notBefore' }, 'mode')}
      />
      {config.mode === 'duration' && f.draft.mode === 'duration' && <DurationField label="Duration" value={config.durationMs} onChange={(durationMs) => f.set({ durationMs }, 'durationMs')} error={err('durationMs')} />}
      {f.draft.mode === 'until' && <ExpressionEditor label="Until" value={String(f.draft.until ?? '')} onChange={(until) => f.set({ until }, 'until')} error={err('until')} placeholder="input.notBefore" />}
    </div>
  );
}
