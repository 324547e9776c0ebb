'use client';
import type { NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { formatDuration } from '@/server/workflows/schema';
import type { AgentNode as AgentFlowNode } from '../graph';
import { Code, NodeShell, type OutputPort } from './NodeShell';

const OUTPUTS: OutputPort[] = [
  { id: 'default', label: 'success' },
  { id: 'error', label: 'error', tone: 'danger', title: 'Taken when every attempt failed' },
];

/** Hands work to an agent of the registry: which agent, its timeout and attempts, a success and an error port. */
export const AgentNode = memo(function AgentNode({ id, data, selected }: NodeProps<AgentFlowNode>) {
  const c = data.config;
  return (
    <NodeShell id={id} kind="agent" selected={selected} label={data.label} outputs={OUTPUTS}>
      <div className="truncate">
        {c.agent ? <Code className="text-indigo-700 dark:text-indigo-300">{c.agent}</Code> : <span className="text-amber-700 dark:text-amber-400">No agent selected</span>}
      </div>
      <div className="text-[10px] text-zinc-500 dark:text-zinc-500">
        {formatDuration(c.timeoutMs)} timeout · {c.retry.maxAttempts} attempt{c.retry.maxAttempts === 1 ? '' : 's'}
        {c.outputKey && <> · → state.{c.outputKey}</>}
      </div>
    </NodeShell>
  );
});
