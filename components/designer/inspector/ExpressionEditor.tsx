'use client';
/**
 * A CEL expression field: checked as you type with the same `checkExpression` the validator runs (the
 * error points at its column), and previewed by evaluating it, with the engine's evaluator, against the
 * sample envelope. Nothing here runs JavaScript from the text: CEL is parsed by the CEL parser only.
 */
import { useId, useMemo, useRef } from 'react';
import { cn, denseInputClass } from '@/components/ui';
import { checkExpression, evaluate, EXPRESSION_VARIABLES, type ExpectedType } from '@/server/workflows/expressions';
import { useSample } from './sampleEnvelope';
import { useOutputFields } from './useOutputFields';

type Props = {
  label: string;
  value: string;
  onChange: (v: string) => void;
  /** What the expression must produce: a condition is `bool`, a fan-out's items a `list`. */
  expect?: ExpectedType;
  /** An error from elsewhere (the validator, a required field). */
  error?: string | null;
  placeholder?: string;
  testId?: string;
  compact?: boolean;
};

const PREVIEW_CHARS = 300;

export function ExpressionEditor({ label, value, onChange, expect, error, placeholder, testId, compact }: Props) {
  const id = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  const sample = useSample();
  const fields = useOutputFields();
  const check = useMemo(() => (value.trim() ? checkExpression(value, expect ? { expect } : {}) : null), [value, expect]);
  const preview = useMemo(() => {
    if (!check?.ok || !sample.context) return null;
    try {
      const out = JSON.stringify(evaluate(value, sample.context));
      return { ok: true as const, text: out.length > PREVIEW_CHARS ? `${out.slice(0, PREVIEW_CHARS)}…` : out };
    } catch (e) {
      return { ok: false as const, text: (e as Error).message };
    }
  }, [check, sample.context, value]);

  const insert = (name: string) => {
    const el = ref.current;
    const at = el?.selectionStart ?? value.length;
    onChange(value.slice(0, at) + name + value.slice(el?.selectionEnd ?? at));
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(at + name.length, at + name.length);
    });
  };

  const problem = check && !check.ok ? check : null;
  return (
    <div className="space-y-1" data-testid={testId}>
      {!compact && (
        <div className="flex items-baseline justify-between gap-2">
          <label htmlFor={id} className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
            {label}
          </label>
          <span className="text-[10px] text-zinc-400">CEL{expect ? ` → ${expect}` : ''}</span>
        </div>
      )}
      <textarea
        id={id}
        ref={ref}
        aria-label={compact ? label : undefined}
        value={value}
        rows={Math.min(6, Math.max(1, value.split('\n').length))}
        spellCheck={false}
        placeholder={placeholder}
        aria-invalid={problem || error ? true : undefined}
        data-testid="expression-input"
        onChange={(e) => onChange(e.target.value)}
        className={cn(denseInputClass, 'resize-y font-mono text-[12px] leading-5', (problem || error) && 'border-rose-400 dark:border-rose-700')}
      />
      {problem ? (
        <p role="alert" data-testid="expression-error" className="font-mono text-[11px] whitespace-pre-wrap text-rose-600 dark:text-rose-400">
          {problem.position !== undefined && `${value.split('\n').join(' ')}\n${' '.repeat(Math.min(problem.position, 200))}^\n`}
          {problem.message}
        </p>
      ) : error ? (
        <p role="alert" className="text-xs text-rose-600 dark:text-rose-400">
          {error}
        </p>
      ) : preview ? (
        <p data-testid="expression-preview" data-ok={preview.ok} className={cn('rounded bg-zinc-50 px-2 py-1 font-mono text-[11px] break-all dark:bg-zinc-950', preview.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-amber-700 dark:text-amber-400')}>
          <span className="text-zinc-400">{preview.ok ? 'sample → ' : 'on the sample: '}</span>
          {preview.text}
        </p>
      ) : null}
      {!compact && (
        <div className="flex flex-wrap gap-1">
          {Object.keys(EXPRESSION_VARIABLES).map((name) => (
            <button key={name} type="button" onClick={() => insert(name)} className="rounded border border-zinc-200 px-1.5 font-mono text-[10px] text-zinc-500 hover:border-indigo-300 hover:text-indigo-700 dark:border-zinc-700 dark:text-zinc-400 dark:hover:text-indigo-300" title={`Insert ${name}`}>
              {name}
            </button>
          ))}
          {fields.map((path) => (
            <button key={path} type="button" data-testid="expression-field" onClick={() => insert(path)} className="rounded border border-indigo-200 px-1.5 font-mono text-[10px] text-indigo-600 hover:border-indigo-400 dark:border-indigo-900 dark:text-indigo-300" title={`Insert ${path} (from the agent's output schema)`}>
              {path}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
