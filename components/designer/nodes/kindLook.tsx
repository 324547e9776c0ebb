/**
 * How each kind looks: its accent colour and icon (palette, nodes, minimap). Names and descriptions come
 * from `KIND_META` in server/workflows/schema.ts; only looks live here.
 */
import type { SVGProps } from 'react';
import type { NodeKind } from '@/server/workflows/schema';

type Look = { icon: string; tint: string; minimap: string };

/** `tint`: classes for the icon tile. `minimap`: a fill colour. */
export const KIND_LOOK: Record<NodeKind, Look> = {
  trigger: { icon: 'M5 3v18l15-9L5 3z', tint: 'bg-emerald-100 text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300', minimap: '#10b981' },
  agent: { icon: 'M12 2a4 4 0 0 1 4 4v1h1a3 3 0 0 1 3 3v7a3 3 0 0 1-3 3H7a3 3 0 0 1-3-3v-7a3 3 0 0 1 3-3h1V6a4 4 0 0 1 4-4zm-3 11.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z', tint: 'bg-indigo-100 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300', minimap: '#6366f1' },
  fanOut: { icon: 'M4 12h5m0 0 9-7m-9 7h9m-9 0 9 7', tint: 'bg-sky-100 text-sky-700 dark:bg-sky-950 dark:text-sky-300', minimap: '#0ea5e9' },
  join: { icon: 'M6 5l9 7-9 7m9-7h5M6 12h9', tint: 'bg-cyan-100 text-cyan-700 dark:bg-cyan-950 dark:text-cyan-300', minimap: '#06b6d4' },
  router: { icon: 'M4 12h6l4-6h6M10 12l4 6h6', tint: 'bg-violet-100 text-violet-700 dark:bg-violet-950 dark:text-violet-300', minimap: '#8b5cf6' },
  approval: { icon: 'M9 12l2 2 4-4M12 3l7 4v5c0 4.5-3 8-7 9-4-1-7-4.5-7-9V7l7-4z', tint: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300', minimap: '#f59e0b' },
  delay: { icon: 'M12 7v5l3 2M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', tint: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300', minimap: '#64748b' },
  setContext: { icon: 'M4 7h16M4 12h10M4 17h7m8-3v6m-3-3h6', tint: 'bg-fuchsia-100 text-fuchsia-700 dark:bg-fuchsia-950 dark:text-fuchsia-300', minimap: '#d946ef' },
  end: { icon: 'M6 6h12v12H6z', tint: 'bg-rose-100 text-rose-700 dark:bg-rose-950 dark:text-rose-300', minimap: '#f43f5e' },
};

export function KindIcon({ kind, ...props }: { kind: NodeKind } & SVGProps<SVGSVGElement>) {
  const filled = kind === 'trigger' || kind === 'agent' || kind === 'end';
  return (
    <svg viewBox="0 0 24 24" width={14} height={14} aria-hidden {...props}>
      <path d={KIND_LOOK[kind].icon} fill={filled ? 'currentColor' : 'none'} stroke={filled ? 'none' : 'currentColor'} strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
