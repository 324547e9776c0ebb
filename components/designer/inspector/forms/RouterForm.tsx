'use client';
import { Button, denseInputClass } from '@/components/ui';
import type { Route } from '@/server/workflows/schema';
import { nextId } from '../../ids';
import { ExpressionEditor } from '../ExpressionEditor';
import { useConfigForm } from '../useConfigForm';
import type { FormProps } from './types';

export function RouterForm({ id, config, fieldProblems }: FormProps<'router'>) {
  const f = useConfigForm(id, 'router', config);
  const routes = (f.draft.routes ?? []) as Route[];
  const err = (p: string) => f.issues[p] ?? fieldProblems[p] ?? null;
  const setRoutes = (next: Route[], field: string) => f.set({ routes: next }, field);
  const patch = (i: number, p: Partial<Route>, field: string) => setRoutes(routes.map((r, j) => (j === i ? { ...r, ...p } : r)), `routes.${i}.${field}`);
  const move = (i: number, by: number) => {
    const next = [...routes];
    const [r] = next.splice(i, 1);
    next.splice(i + by, 0, r!);
    setRoutes(next, `routes.move`);
  };
  return (
    <div className="space-y-3">
      <p className="text-xs text-zinc-500 dark:text-zinc-400">Conditions are tried in order; the first that holds takes its branch, else the default branch.</p>
      {routes.map((r, i) => (
        <div key={i} className="space-y-2 rounded-lg border border-zinc-200 p-2.5 dark:border-zinc-800" data-testid="router-route">
          <div className="grid grid-cols-[auto_6rem_1fr] items-center gap-1.5">
            <span className="text-[10px] font-semibold text-zinc-400">{i + 1}.</span>
            <input aria-label={`Route ${i + 1} id`} title="Route id: the port's name" value={r.id} spellCheck={false} onChange={(e) => patch(i, { id: e.target.value }, 'id')} className={`${denseInputClass} h-7 py-0.5 font-mono text-[12px]`} />
            <input aria-label={`Route ${i + 1} label`} value={r.label ?? ''} placeholder="label" onChange={(e) => patch(i, { label: e.target.value || undefined }, 'label')} className={`${denseInputClass} h-7 py-0.5 text-[12px]`} />
          </div>
          {(err(`routes.${i}.id`) || err(`routes.${i}`)) && <p className="text-xs text-rose-600 dark:text-rose-400">{err(`routes.${i}.id`) ?? err(`routes.${i}`)}</p>}
          <ExpressionEditor compact label={`Route ${i + 1} condition`} expect="bool" value={r.condition} onChange={(condition) => patch(i, { condition }, 'condition')} error={err(`routes.${i}.condition`)} placeholder='results.summarizer.risk == "high"' />
          <div className="flex justify-end gap-0.5">
            <Button size="sm" variant="ghost" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move route ${i + 1} up`}>
              ↑
            </Button>
            <Button size="sm" variant="ghost" disabled={i === routes.length - 1} onClick={() => move(i, 1)} aria-label={`Move route ${i + 1} down`}>
              ↓
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setRoutes(routes.filter((_, j) => j !== i), 'routes.remove')}>
              Remove
            </Button>
          </div>
        </div>
      ))}
      <Button size="sm" onClick={() => setRoutes([...routes, { id: nextId('route', routes.map((r) => r.id)), label: `Route ${routes.length + 1}`, condition: 'true' }], 'routes.add')}>
        + Add route
      </Button>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        Plus the <span className="font-mono">default</span> branch, taken when no condition holds.
      </p>
    </div>
  );
}
