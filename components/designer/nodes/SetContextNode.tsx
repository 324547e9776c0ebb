'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { SetContextNode as SetContextFlowNode } from '../graph';
import { Code, NodeShell } from './NodeShell';

const SHOWN = 3;

/** Patches the run's shared state: the keys it sets. */
export const SetContextNode = memo(function SetContextNode({ id, data, selected }: NodeProps<SetContextFlowNode>) {
  const entries = Object.entries(data.config.patch);
  return (
    <NodeShell id={id} kind="setContext" selected={selected} label={data.label}>
      {entries.length === 0 && <div className="text-amber-700 dark:text-amber-400">Sets nothing yet</div>}
      {entries.slice(0, SHOWN).map(([k, v]) => (
        <div key={k} className="truncate">
          <Code>state.{k}</Code> ← <span className="font-mono text-[10px] text-zinc-500">{v}</span>
        </div>
      ))}
      {entries.length > SHOWN && <div className="text-[10px] text-zinc-500">and {entries.length - SHOWN} more</div>}
    </NodeShell>
  );
});
