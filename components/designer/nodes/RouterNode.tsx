'use client';
import type { NodeProps } from '@xyflow/react';
import { memo, useMemo } from 'react';
import type { RouterNode as RouterFlowNode } from '../graph';
import { NodeShell, type OutputPort } from './NodeShell';

/** The first route whose condition holds wins, else the default: one port per route, in order, each with its condition. */
export const RouterNode = memo(function RouterNode({ id, data, selected }: NodeProps<RouterFlowNode>) {
  const routes = data.config.routes;
  const outputs = useMemo<OutputPort[]>(
    () => [
      ...routes.map((r) => ({
        id: r.id,
        title: r.condition,
        label: (
          <span className="flex min-w-0 items-baseline justify-end gap-1.5">
            <span className="min-w-0 truncate font-mono text-[9px] text-zinc-400 dark:text-zinc-500">{r.condition}</span>
            <span className="shrink-0 font-medium text-zinc-700 dark:text-zinc-300">{r.label || r.id}</span>
          </span>
        ),
      })),
      { id: 'default', label: 'default', title: 'When no route holds' },
    ],
    [routes],
  );
  return (
    <NodeShell id={id} kind="router" selected={selected} label={data.label} outputs={outputs} />
  );
});
