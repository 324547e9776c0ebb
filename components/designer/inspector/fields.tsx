'use client';
/**
 * Form controls of the inspector (on the kit's dense `Field`). Each shows its error under itself; text that
 * does not parse yet is kept in the control (never lost, never committed) until it does.
 */
import { useEffect, useId, useState, type ReactNode } from 'react';
import { cn, denseInputClass, Field, invalidInputClass } from '@/components/ui';
import { formatDuration, parseDuration } from '@/server/workflows/schema';

export function Section({ title, children, action }: { title: ReactNode; children: ReactNode; action?: ReactNode }) {
  return (
    <section className="space-y-3 border-t border-zinc-200 px-4 py-4 dark:border-zinc-800">
      <div className="flex items-center justify-between">
        <h3 className="text-[11px] font-semibold tracking-wider text-zinc-500 uppercase dark:text-zinc-400">{title}</h3>
        {action}
      </div>
      {children}
    </section>
  );
}

export function TextField(props: {
  label: ReactNode;
  value: string;
  onChange: (v: string) => void;
  error?: string | null;
  hint?: ReactNode;
  placeholder?: string;
  mono?: boolean;
  multiline?: boolean;
  testId?: string;
  disabled?: boolean;
}) {
  const id = useId();
  const common = {
    id,
    value: props.value,
    placeholder: props.placeholder,
    disabled: props.disabled,
    'aria-invalid': props.error ? true : undefined,
    'data-testid': props.testId,
    className: cn(denseInputClass, props.mono && 'font-mono text-[13px]', props.error && invalidInputClass),
  };
  return (
    <Field dense label={props.label} hint={props.hint} error={props.error} htmlFor={id}>
      {props.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type="text" spellCheck={false} onChange={(e) => props.onChange(e.target.value)} />
      )}
    </Field>
  );
}

export function SelectField<T extends string>(props: {
  label: ReactNode;
  value: T | '';
  options: ReadonlyArray<{ value: T | ''; label: string; disabled?: boolean }>;
  onChange: (v: T) => void;
  error?: string | null;
  hint?: ReactNode;
  testId?: string;
}) {
  const id = useId();
  return (
    <Field dense label={props.label} hint={props.hint} error={props.error} htmlFor={id}>
      <select
        id={id}
        data-testid={props.testId}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        onChange={(e) => props.onChange(e.target.value as T)}
        className={cn(denseInputClass, 'pr-8', props.error && invalidInputClass)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A number; empty is `undefined` (for optional fields). Text that is not a number stays, with an error. */
export function NumberField(props: {
  label: ReactNode;
  value: number | undefined;
  onChange: (v: number | undefined) => void;
  error?: string | null;
  hint?: ReactNode;
  min?: number;
  max?: number;
  step?: number;
  placeholder?: string;
  testId?: string;
}) {
  const id = useId();
  const [text, setText] = useState(props.value === undefined ? '' : String(props.value));
  const [own, setOwn] = useState<string | null>(null);
  useEffect(() => {
    setText((t) => (Number(t) === props.value && t !== '' ? t : props.value === undefined ? '' : String(props.value)));
  }, [props.value]);
  return (
    <Field dense label={props.label} hint={props.hint} error={own ?? props.error} htmlFor={id}>
      <input
        id={id}
        data-testid={props.testId}
        type="number"
        inputMode="decimal"
        min={props.min}
        max={props.max}
        step={props.step}
        placeholder={props.placeholder}
        value={text}
        aria-invalid={own || props.error ? true : undefined}
        className={cn(denseInputClass, (own || props.error) && invalidInputClass)}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (t.trim() === '') {
            setOwn(null);
            props.onChange(undefined);
            return;
          }
          const n = Number(t);
          if (!Number.isFinite(n)) setOwn('Enter a number');
          else {
            setOwn(null);
            props.onChange(n);
          }
        }}
      />
    </Field>
  );
}

/**
 * A duration typed the way people say it (`250ms`, `30s`, `5m`, `1h30m`), stored as milliseconds through
 * `parseDuration`, the one helper the API uses too. Applied on Enter or when leaving the field.
 */
export function DurationField(props: {
  label: ReactNode;
  value: number | undefined;
  onChange: (ms: number | undefined) => void;
  optional?: boolean;
  error?: string | null;
  hint?: ReactNode;
  placeholder?: string;
  testId?: string;
}) {
  const id = useId();
  const shown = props.value === undefined ? '' : formatDuration(props.value);
  const [text, setText] = useState(shown);
  const [own, setOwn] = useState<string | null>(null);
  useEffect(() => {
    setText(shown);
    setOwn(null);
  }, [shown]);
  const apply = () => {
    const t = text.trim();
    if (t === '') {
      if (props.optional) {
        setOwn(null);
        props.onChange(undefined);
      } else setOwn('A duration is required');
      return;
    }
    try {
      const ms = parseDuration(t);
      setOwn(null);
      if (ms !== props.value) props.onChange(ms);
      else setText(shown);
    } catch (e) {
      setOwn((e as Error).message.replace(/^Invalid duration "[^"]*": /, ''));
    }
  };
  return (
    <Field dense label={props.label} hint={props.hint ?? 'e.g. 30s, 5m, 1h30m, 2d'} error={own ?? props.error} htmlFor={id}>
      <input
        id={id}
        data-testid={props.testId}
        type="text"
        spellCheck={false}
        value={text}
        placeholder={props.placeholder ?? (props.optional ? 'none' : undefined)}
        aria-invalid={own || props.error ? true : undefined}
        className={cn(denseInputClass, 'font-mono text-[13px]', (own || props.error) && invalidInputClass)}
        onChange={(e) => setText(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            apply();
          }
        }}
      />
    </Field>
  );
}

export function CheckboxField({ label, checked, onChange, hint }: { label: ReactNode; checked: boolean; onChange: (v: boolean) => void; hint?: ReactNode }) {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} className="mt-0.5 size-4 rounded border-zinc-300 accent-indigo-600" />
      <label htmlFor={id} className="text-sm">
        <span className="text-zinc-800 dark:text-zinc-200">{label}</span>
        {hint && <span className="block text-xs text-zinc-500 dark:text-zinc-400">{hint}</span>}
      </label>
    </div>
  );
}

/** A row of mutually exclusive choices (a radio group that looks like a segmented control). */
export function Segmented<T extends string>({ label, value, options, onChange, testId }: { label: string; value: T; options: ReadonlyArray<{ value: T; label: string }>; onChange: (v: T) => void; testId?: string }) {
  return (
    <div className="space-y-1">
      <span className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">{label}</span>
      <div role="radiogroup" aria-label={label} data-testid={testId} className="inline-flex w-full rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
        {options.map((o) => (
          <button
            key={o.value}
            type="button"
            role="radio"
            aria-checked={o.value === value}
            onClick={() => onChange(o.value)}
            className={cn(
              'flex-1 rounded px-2 py-1 text-xs font-medium transition-colors',
              o.value === value ? 'bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900' : 'text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800',
            )}
          >
            {o.label}
          </button>
        ))}
      </div>
    </div>
  );
}
