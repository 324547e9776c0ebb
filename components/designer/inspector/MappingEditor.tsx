'use client';
/**
 * Key → expression rows (agent input, set-context patch, end output). Rows that do not make a valid
 * mapping yet (an empty or repeated key) stay on screen with their error and are not applied.
 */
import { useEffect, useRef, useState } from 'react';
import { Button, denseInputClass } from '@/components/ui';
import { MappingKey } from '@/server/workflows/schema';
import { ExpressionEditor } from './ExpressionEditor';

type Row = { key: string; expr: string };
type Props = {
  label: string;
  value: Record<string, string> | undefined;
  /** `undefined` when every row is removed (for optional mappings). */
  onChange: (v: Record<string, string> | undefined) => void;
  keyPlaceholder?: string;
  keyPrefix?: string;
  emptyHint: string;
  errorsByKey?: Readonly<Record<string, string>>;
  testId?: string;
};

const toRows = (v: Record<string, string> | undefined): Row[] => Object.entries(v ?? {}).map(([key, expr]) => ({ key, expr }));
const same = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

function rowError(rows: Row[], i: number): string | null {
  const r = rows[i]!;
  const k = MappingKey.safeParse(r.key);
  if (!k.success) return r.key === '' ? 'A key is required' : k.error.issues[0]!.message;
  if (rows.findIndex((x) => x.key === r.key) !== i) return `'${r.key}' is used twice`;
  if (r.expr.trim() === '') return 'An expression is required';
  return null;
}

export function MappingEditor({ label, value, onChange, keyPlaceholder = 'key', keyPrefix, emptyHint, errorsByKey, testId }: Props) {
  const [rows, setRows] = useState<Row[]>(() => toRows(value));
  const emitted = useRef(value);
  useEffect(() => {
    if (!same(value, emitted.current)) {
      emitted.current = value;
      setRows(toRows(value));
    }
  }, [value]);

  const update = (next: Row[]) => {
    setRows(next);
    if (next.some((_, i) => rowError(next, i))) return;
    const out = next.length ? Object.fromEntries(next.map((r) => [r.key, r.expr])) : undefined;
    emitted.current = out;
    onChange(out);
  };

  return (
    <div className="space-y-2" data-testid={testId}>
      <div className="flex items-center justify-between">
        <span className="text-xs font-medium text-zinc-700 dark:text-zinc-300">{label}</span>
        <Button size="sm" variant="ghost" onClick={() => update([...rows, { key: nextKey(rows), expr: '' }])}>
          + Add
        </Button>
      </div>
      {rows.length === 0 && <p className="text-xs text-zinc-500 dark:text-zinc-400">{emptyHint}</p>}
      {rows.map((r, i) => {
        const err = rowError(rows, i);
        return (
          <div key={i} className="space-y-1 rounded-md border border-zinc-200 p-2 dark:border-zinc-800">
            <div className="flex items-center gap-1.5">
              {keyPrefix && <span className="font-mono text-[11px] text-zinc-400">{keyPrefix}</span>}
              <input
                aria-label={`${label}: key ${i + 1}`}
                value={r.key}
                placeholder={keyPlaceholder}
                spellCheck={false}
                onChange={(e) => update(rows.map((x, j) => (j === i ? { ...x, key: e.target.value } : x)))}
                className={`${denseInputClass} h-7 py-0.5 font-mono text-[12px]`}
              />
              <span className="text-zinc-400">←</span>
              <Button size="icon" variant="ghost" aria-label={`Remove ${r.key || 'row'}`} onClick={() => update(rows.filter((_, j) => j !== i))}>
                ×
              </Button>
            </div>
            <ExpressionEditor compact label={`${label}: ${r.key || `row ${i + 1}`}`} value={r.expr} onChange={(expr) => update(rows.map((x, j) => (j === i ? { ...x, expr } : x)))} error={err === 'An expression is required' ? null : (errorsByKey?.[r.key] ?? null)} placeholder="input.field" />
            {err && err !== 'An expression is required' && <p className="text-xs text-rose-600 dark:text-rose-400">{err}</p>}
          </div>
        );
      })}
    </div>
  );
}

function nextKey(rows: Row[]): string {
  let n = rows.length + 1;
  while (rows.some((r) => r.key === `key${n}`)) n++;
  return `key${n}`;
}
