import type { Metadata } from 'next';
import { AgentsPage } from '@/components/agents/AgentsPage';

export const metadata: Metadata = { title: 'Agents' };

export default function Agents() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Agents</h1>
        <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">The registry: what agent nodes call, and how each agent has done over the last hour.</p>
      </div>
      <AgentsPage />
    </div>
  );
}
