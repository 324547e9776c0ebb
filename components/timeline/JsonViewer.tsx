'use client';
/**
 * Untrusted JSON, shown two ways: as a collapsible tree or as indented text, with a copy button. Every
 * key and value is rendered as a React text node, so markup in the data shows as characters and never
 * runs. Large values start collapsed below the first levels.
 */
import { useState } from 'react';
import { Button, ChevronIcon, cn } from '@/components/ui';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export function JsonViewer({ value, label, className, defaultMode = 'tree', testId }: { value: unknown; label: string; className?: string; defaultMode?: 'tree' | 'text'; testId?: string }) {
  const [mode, setMode] = useState<'tree' | 'text'>(defaultMode);
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  return (
    <div className={cn('rounded-lg border border-zinc-200 dark:border-zinc-800', className)} data-testid={testId}>
      <div className="flex items-center gap-1 border-b border-zinc-200 px-2 py-1 print:hidden dark:border-zinc-800">
        <div role="tablist" aria-label={`${label}: view as`} className="flex gap-0.5">
          {(['tree', 'text'] as const).map((m) => (
            <button
              key={m}
              role="tab"
              type="button"
              aria-selected={mode === m}
              onClick={() => setMode(m)}
              className={cn('rounded px-2 py-0.5 text-xs', mode === m ? 'bg-zinc-100 font-medium text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100' : 'text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-200')}
            >
              {m === 'tree' ? 'Tree' : 'Text'}
            </button>
          ))}
        </div>
        <CopyButton text={text} label={`Copy ${label} as JSON`} className="ml-auto" />
      </div>
      {mode === 'text' ? (
        <pre aria-label={label} className="max-h-96 overflow-auto p-3 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-zinc-800 print:max-h-none dark:text-zinc-200">
          {text}
        </pre>
      ) : (
        <div aria-label={label} role="tree" className="max-h-96 overflow-auto p-2 font-mono text-xs leading-relaxed print:max-h-none">
          <Node name={null} value={value as Json} depth={0} />
        </div>
      )}
    </div>
  );
}

function Node({ name, value, depth }: { name: string | null; value: Json; depth: number }) {
  const isObj = value !== null && typeof value === 'object';
  const entries = isObj ? (Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)) : [];
  const [open, setOpen] = useState(depth < 2 || entries.length <= 8);
  const key = name !== null && <span className="text-indigo-700 dark:text-indigo-300">{name}: </span>;
  if (!isObj)
    return (
      <div role="treeitem" aria-selected={false} className="pl-4 break-words whitespace-pre-wrap">
        {key}
        <Scalar value={value} />
      </div>
    );
  const brackets = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return (
    <div role="treeitem" aria-expanded={open} aria-selected={false}>
      <button type="button" onClick={() => setOpen((o) => !o)} className="flex items-center gap-0.5 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800/60">
        <ChevronIcon width={12} height={12} className={cn('shrink-0 text-zinc-400 transition-transform', open && 'rotate-90')} />
        {key}
        <span className="text-zinc-500">
          {brackets[0]}
          {!open && `${entries.length} ${Array.isArray(value) ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'key' : 'keys'}${brackets[1]}`}
        </span>
      </button>
      {open && (
        <div role="group" className="ml-2 border-l border-zinc-200 pl-1 dark:border-zinc-800">
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} />
          ))}
          <span className="pl-4 text-zinc-500">{brackets[1]}</span>
        </div>
      )}
    </div>
  );
}

function Scalar({ value }: { value: Json }) {
  if (typeof value === 'string') return <span className="text-emerald-700 dark:text-emerald-300">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="text-sky-700 dark:text-sky-300">{String(value)}</span>;
  return <span className="text-amber-700 dark:text-amber-300">{String(value)}</span>;
}

export function CopyButton({ text, label, className, children = 'Copy JSON' }: { text: string; label: string; className?: string; children?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <Button
      size="sm"
      variant="ghost"
      className={className}
      aria-label={label}
      title={label}
      onClick={() => {
        navigator.clipboard
          .writeText(text)
          .then(() => setState('copied'))
          .catch(() => setState('failed'))
          .finally(() => setTimeout(() => setState('idle'), 1500));
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : children}
    </Button>
  );
}
