'use client';
/**
 * The frame every node kind draws in: kind tile and name, the node's label (as text, never HTML), its
 * problems (ring and badge, messages in the tooltip), its run state in a read-only canvas, and its ports.
 * Ports come from the kind: an input on the left unless the kind takes none; on the right either one
 * `default` output or one row per named output (router routes, approval, agent error).
 */
import { Handle, Position } from '@xyflow/react';
import type { ReactNode } from 'react';
import { cn } from '@/components/ui';
import { KIND_META, type NodeKind } from '@/server/workflows/schema';
import { problemsOf, useDecorations } from '../store';
import { KIND_LOOK, KindIcon } from './kindLook';
import { RunStatusPill } from './RunStatusPill';

export type OutputPort = { id: string; label: ReactNode; tone?: 'neutral' | 'danger' | 'success'; title?: string };

type Props = {
  id: string;
  kind: NodeKind;
  selected: boolean;
  label: string | undefined;
  /** Kind-specific summary lines. */
  children?: ReactNode;
  /** Named output rows; absent: a single `default` output (none for an end). */
  outputs?: OutputPort[];
};

export function NodeShell({ id, kind, selected, label, children, outputs }: Props) {
  const problems = useDecorations((d) => problemsOf(d, id));
  const run = useDecorations((d) => d.runStates[id]);
  const mark = useDecorations((d) => d.marks[id]);
  const readOnly = useDecorations((d) => d.readOnly);
  const meta = KIND_META[kind];
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const title = label?.trim() || id;

  return (
    <div
      data-testid="designer-node"
      data-kind={kind}
      data-problems={problems.map((p) => p.code).join(' ') || undefined}
      data-status={run?.status}
      data-mark={mark}
      title={problems.length ? problems.map((p) => `${p.severity === 'error' ? '✖' : '⚠'} ${p.message}`).join('\n') : undefined}
      className={cn(
        'relative w-[220px] rounded-xl border bg-white text-left shadow-sm transition-[box-shadow,border-color,opacity] dark:bg-zinc-900',
        errors ? 'border-rose-400 dark:border-rose-500/70' : warnings ? 'border-amber-400 dark:border-amber-500/70' : 'border-zinc-200 dark:border-zinc-700',
        selected && 'ring-2 ring-indigo-500/80 ring-offset-1 ring-offset-white dark:ring-offset-zinc-950',
        run && RUN_FRAME[run.status],
        mark && MARK_FRAME[mark],
      )}
    >
      {meta.inputs !== 'none' && <Handle type="target" position={Position.Left} isConnectable={!readOnly} className="spine-handle spine-handle-target" />}
      <div className="flex items-center gap-1.5 px-2.5 pt-2">
        <span className={cn('grid size-5 shrink-0 place-items-center rounded', KIND_LOOK[kind].tint)}>
          <KindIcon kind={kind} width={12} height={12} />
        </span>
        <span className="shrink-0 text-[9px] font-semibold tracking-wider text-zinc-500 uppercase dark:text-zinc-400">{meta.label}</span>
        {label?.trim() && <span className="min-w-0 truncate font-mono text-[9px] text-zinc-400 dark:text-zinc-500">{id}</span>}
        <span className="ml-auto flex shrink-0 items-center gap-1">
          {errors > 0 && <ProblemBadge tone="error" count={errors} />}
          {warnings > 0 && <ProblemBadge tone="warning" count={warnings} />}
          {run && <RunStatusPill state={run} />}
          {mark && <span className={cn('rounded px-1 text-[9px] font-semibold uppercase', MARK_BADGE[mark])}>{mark}</span>}
        </span>
      </div>
      <div className="truncate px-2.5 pt-0.5 text-[13px] leading-5 font-medium text-zinc-900 dark:text-zinc-100" data-testid="node-title">
        {title}
      </div>
      <div className="flex items-stretch gap-2 pt-0.5 pb-2 pl-2.5">
        {children && <div className="min-w-0 flex-1 space-y-0.5 text-[11px] leading-4 text-zinc-600 dark:text-zinc-400">{children}</div>}
        {outputs ? (
          <div className={cn('flex flex-col justify-end gap-0.5', children ? 'max-w-[60%]' : 'min-w-0 flex-1')}>
            {outputs.map((o) => (
              <div key={o.id} className="relative flex h-4 items-center justify-end pr-2.5 pl-1 text-[10px] leading-4" title={o.title}>
                <span className={cn('min-w-0 truncate', o.tone === 'danger' ? 'text-rose-600 dark:text-rose-400' : o.tone === 'success' ? 'text-emerald-700 dark:text-emerald-400' : 'text-zinc-500 dark:text-zinc-400')}>{o.label}</span>
                <Handle type="source" id={o.id} position={Position.Right} isConnectable={!readOnly} className={cn('spine-handle', o.tone && `spine-handle-${o.tone}`)} />
              </div>
            ))}
          </div>
        ) : (
          <span className="w-2.5" />
        )}
      </div>
      {!outputs && meta.outputs.length > 0 && <Handle type="source" id="default" position={Position.Right} isConnectable={!readOnly} className="spine-handle" />}
    </div>
  );
}

function ProblemBadge({ tone, count }: { tone: 'error' | 'warning'; count: number }) {
  return (
    <span
      data-testid="problem-badge"
      aria-label={`${count} ${tone}${count === 1 ? '' : 's'}`}
      title={`${count} ${tone}${count === 1 ? '' : 's'}`}
      className={cn(
        'inline-flex h-3.5 min-w-3.5 items-center justify-center rounded-full px-1 text-[9px] font-bold text-white',
        tone === 'error' ? 'bg-rose-500' : 'bg-amber-500',
      )}
    >
      {/* A count alone: "!3" read as "13". The colour says error or warning; the tooltip and label say which. */}
      {count > 1 ? count : tone === 'error' ? '!' : '?'}
    </span>
  );
}

const RUN_FRAME: Record<string, string> = {
  pending: 'opacity-70',
  running: 'border-sky-400 shadow-[0_0_0_3px] shadow-sky-400/25 dark:border-sky-500',
  waiting: 'border-amber-400 shadow-[0_0_0_3px] shadow-amber-400/25',
  done: 'border-emerald-400 dark:border-emerald-600',
  failed: 'border-rose-500 shadow-[0_0_0_3px] shadow-rose-500/25',
  skipped: 'border-dashed opacity-50',
};

const MARK_FRAME: Record<string, string> = {
  added: 'border-emerald-500 border-dashed',
  changed: 'border-amber-500 border-dashed',
  removed: 'border-rose-500 border-dashed opacity-60',
};
const MARK_BADGE: Record<string, string> = {
  added: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  changed: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  removed: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
};

/** A short monospace value (agent name, event type, expression) in a summary line. */
export function Code({ children, className }: { children: ReactNode; className?: string }) {
  return <code className={cn('rounded bg-zinc-100 px-1 font-mono text-[10px] text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200', className)}>{children}</code>;
}
