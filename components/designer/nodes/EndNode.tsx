'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { cn } from '@/components/ui';
import type { EndNode as EndFlowNode } from '../graph';
import { NodeShell } from './NodeShell';

/** Finishes the run with success or failure, and the keys of its output. */
export const EndNode = memo(function EndNode({ id, data, selected }: NodeProps<EndFlowNode>) {
  const c = data.config;
  const keys = Object.keys(c.output ?? {});
  return (
    <NodeShell id={id} kind="end" selected={selected} label={data.label}>
      <div>
        Ends with{' '}
        <span className={cn('font-medium', c.outcome === 'success' ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400')}>{c.outcome}</span>
      </div>
      <div className="truncate text-[10px] text-zinc-500">{keys.length ? `Output: ${keys.join(', ')}` : 'Output: every result'}</div>
    </NodeShell>
  );
});
