'use client';
/**
 * Field paths the workflow's expressions can read from agents' results, from each agent's declared output
 * schema in the registry: `results.<node id>.<field>` for every agent node whose agent has an object
 * output schema. The expression editor offers them to insert, beside the envelope's variables.
 */
import { useQuery } from '@tanstack/react-query';
import { useShallow } from 'zustand/react/shallow';
import { useTRPC } from '@/components/trpc/client';
import { outputFields } from '@/components/agents/agentDraft';
import { useDesignerStore } from '../store';

const SIMPLE_ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function useOutputFields(): string[] {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agents.list.queryOptions(undefined, { staleTime: 60_000 }));
  // `<node id>\u0000<agent>` strings: a shallow comparison of primitives keeps this stable across renders.
  const pairs = useDesignerStore(useShallow((s) => s.nodes.filter((n) => n.type === 'agent').map((n) => `${n.id}\u0000${String((n.data.config as { agent?: unknown } | undefined)?.agent ?? '')}`)));
  const schemas = new Map((agents.data ?? []).map((a) => [a.name, a.outputSchema]));
  const out: string[] = [];
  for (const p of pairs) {
    const [nodeId, agent] = p.split('\u0000') as [string, string];
    const base = SIMPLE_ID.test(nodeId) ? `results.${nodeId}` : `results["${nodeId}"]`;
    for (const f of outputFields(schemas.get(agent))) out.push(SIMPLE_ID.test(f) ? `${base}.${f}` : `${base}["${f}"]`);
  }
  return out;
}
