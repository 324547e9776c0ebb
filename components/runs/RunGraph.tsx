'use client';
/**
 * The run's workflow as a graph with each node's live state: laid out from the document's own positions,
 * drawn as SVG (read-only, no editor machinery). Node labels are text nodes.
 */
import { cn } from '@/components/ui/cn';
import type { RunView } from '@/server/engine';
import type { WorkflowDocument } from '@/server/workflows/schema';

const W = 176;
const H = 58;
const PAD = 24;

const STATUS: Record<string, { fill: string; stroke: string; text: string; label: string }> = {
  pending: { fill: 'fill-white dark:fill-zinc-900', stroke: 'stroke-zinc-300 dark:stroke-zinc-700', text: 'fill-zinc-500', label: 'pending' },
  running: { fill: 'fill-indigo-50 dark:fill-indigo-950', stroke: 'stroke-indigo-500', text: 'fill-indigo-600 dark:fill-indigo-300', label: 'running' },
  waiting: { fill: 'fill-amber-50 dark:fill-amber-950', stroke: 'stroke-amber-500', text: 'fill-amber-700 dark:fill-amber-300', label: 'waiting' },
  done: { fill: 'fill-emerald-50 dark:fill-emerald-950', stroke: 'stroke-emerald-500', text: 'fill-emerald-700 dark:fill-emerald-300', label: 'done' },
  failed: { fill: 'fill-rose-50 dark:fill-rose-950', stroke: 'stroke-rose-500', text: 'fill-rose-700 dark:fill-rose-300', label: 'failed' },
  skipped: { fill: 'fill-zinc-50 dark:fill-zinc-900', stroke: 'stroke-zinc-300 dark:stroke-zinc-700', text: 'fill-zinc-400', label: 'skipped' },
};

export function RunGraph({ document, nodes, onSelect, selected }: { document: WorkflowDocument; nodes: RunView['nodes']; onSelect?(nodeId: string): void; selected?: string | null }) {
  const state = new Map(nodes.map((n) => [n.id, n]));
  const xs = document.nodes.map((n) => n.position.x);
  const ys = document.nodes.map((n) => n.position.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const width = Math.max(...xs) - minX + W + PAD * 2;
  const height = Math.max(...ys) - minY + H + PAD * 2;
  const pos = new Map(document.nodes.map((n) => [n.id, { x: n.position.x - minX + PAD, y: n.position.y - minY + PAD }]));
  return (
    <div className="overflow-x-auto" data-testid="run-graph">
      <svg viewBox={`0 0 ${width} ${height}`} className="mx-auto block h-auto w-full" style={{ maxWidth: width, minWidth: Math.min(width, 720) }} role="img" aria-label="Workflow graph with node states">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="fill-zinc-400" />
          </marker>
        </defs>
        {document.edges.map((e) => {
          const a = pos.get(e.source);
          const b = pos.get(e.target);
          if (!a || !b) return null;
          const x1 = a.x + W;
          const y1 = a.y + H / 2;
          const x2 = b.x;
          const y2 = b.y + H / 2;
          const dx = Math.max(30, (x2 - x1) / 2);
          const target = state.get(e.target)?.status ?? 'pending';
          const source = state.get(e.source)?.status ?? 'pending';
          const taken = source === 'done' && target !== 'pending' && target !== 'skipped';
          return (
            <g key={e.id}>
              <path
                d={`M ${x1} ${y1} C ${x1 + dx} ${y1}, ${x2 - dx} ${y2}, ${x2} ${y2}`}
                fill="none"
                markerEnd="url(#arrow)"
                className={cn(taken ? 'stroke-emerald-500' : 'stroke-zinc-300 dark:stroke-zinc-700', target === 'skipped' && 'opacity-50', target === 'running' && 'animate-pulse')}
                strokeWidth={taken ? 2 : 1.5}
                strokeDasharray={target === 'skipped' ? '4 4' : undefined}
              />
              {e.sourceHandle && e.sourceHandle !== 'default' && (
                <text x={x1 + 8} y={y1 - 6} className="fill-zinc-500 text-[10px]">
                  {e.sourceHandle}
                </text>
              )}
            </g>
          );
        })}
        {document.nodes.map((n) => {
          const p = pos.get(n.id)!;
          const s = state.get(n.id);
          const look = STATUS[s?.status ?? 'pending'] ?? STATUS.pending!;
          return (
            <g
              key={n.id}
              transform={`translate(${p.x} ${p.y})`}
              data-testid="run-node"
              data-node-id={n.id}
              data-status={s?.status ?? 'pending'}
              onClick={() => onSelect?.(n.id)}
              className={cn(onSelect && 'cursor-pointer')}
              role={onSelect ? 'button' : undefined}
              aria-label={`${n.label ?? n.id}: ${look.label}`}
            >
              <rect width={W} height={H} rx={10} className={cn(look.fill, look.stroke, selected === n.id && 'stroke-[3]')} strokeWidth={s?.status === 'running' ? 2 : 1.5} />
              <text x={12} y={22} className="fill-zinc-900 text-[12px] font-medium dark:fill-zinc-100">
                {truncate(n.label ?? n.id, 22)}
              </text>
              <text x={12} y={41} className={cn('text-[10.5px]', look.text)}>
                {n.kind} · {look.label}
                {s && s.attempts > 1 ? ` · ${s.attempts} attempts` : ''}
              </text>
              {s?.status === 'running' && <circle cx={W - 14} cy={14} r={4} className="animate-pulse fill-indigo-500" />}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
