'use client';
import { ExpressionEditor } from '../ExpressionEditor';
import { NumberField, Segmented } from '../fields';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

export function FanOutForm({ id, config, fieldProblems }: FormProps<'fanOut'>) {
  const f = useConfigForm(id, 'fanOut', config);
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  return (
    <div className="space-y-3">
      <Segmented
        label="Branches"
        value={(f.draft.mode ?? 'static') as 'static' | 'map'}
        options={[
          { value: 'static', label: 'Every edge at once' },
          { value: 'map', label: 'One per list item' },
        ]}
        onChange={(mode) => f.replace(mode === 'static' ? { mode } : { mode, items: 'input.items', concurrency: 4 }, 'mode')}
      />
      {f.draft.mode === 'static' ? (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Connect two or more branches from the output; meet them again at a join.</p>
      ) : (
        <>
          <ExpressionEditor label="Items" expect="list" value={String(f.draft.items ?? '')} onChange={(items) => f.set({ items }, 'items')} error={err('items')} placeholder="input.documents" />
          <NumberField label="At once" min={1} max={100} value={f.draft.concurrency as number | undefined} onChange={(concurrency) => f.set({ concurrency }, 'concurrency')} error={err('concurrency')} hint="Branch instances running at the same time." />
        </>
      )}
    </div>
  );
}
