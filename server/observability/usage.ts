/**
 * Tokens and cost of a run, summed from its events: every `task.completed`, `task.failed` and `task.tool_called` that
 * records usage (an LLM agent's; builtin and webhook agents record none). Cost is summed only over calls
 * whose agent has a price per 1M tokens; `priced` counts them, so a view can tell "no price set" from 0.
 * Pure: the same events give the same sums.
 */
import type { SpineEvent } from '@/server/spine';

export type UsageTotals = { inputTokens: number; outputTokens: number; cost: number; calls: number; priced: number };
export type RunUsage = UsageTotals & { byAgent: (UsageTotals & { agent: string })[] };

const zero = (): UsageTotals => ({ inputTokens: 0, outputTokens: 0, cost: 0, calls: 0, priced: 0 });

/** The run's usage, or null when none of its calls recorded any. */
export function runUsage(events: readonly SpineEvent[]): RunUsage | null {
  const total = zero();
  const by = new Map<string, UsageTotals>();
  for (const e of events) {
    if (e.type !== 'task.completed' && e.type !== 'task.failed' && e.type !== 'task.tool_called') continue;
    const p = e.payload as { inputTokens?: unknown; outputTokens?: unknown; cost?: unknown; tool?: unknown };
    if (typeof p.inputTokens !== 'number' && typeof p.outputTokens !== 'number') continue;
    const agent = e.type === 'task.tool_called' ? String(p.tool) : e.source.name;
    const a = by.get(agent) ?? zero();
    by.set(agent, a);
    for (const t of [total, a]) {
      t.inputTokens += typeof p.inputTokens === 'number' ? p.inputTokens : 0;
      t.outputTokens += typeof p.outputTokens === 'number' ? p.outputTokens : 0;
      t.calls += 1;
      if (typeof p.cost === 'number') {
        t.cost += p.cost;
        t.priced += 1;
      }
    }
  }
  if (total.calls === 0) return null;
  return { ...total, byAgent: [...by.entries()].map(([agent, t]) => ({ agent, ...t })).sort((x, y) => y.inputTokens + y.outputTokens - (x.inputTokens + x.outputTokens) || x.agent.localeCompare(y.agent)) };
}
