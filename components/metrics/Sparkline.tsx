'use client';
import { Area, AreaChart, Tooltip, YAxis } from 'recharts';

/** A small chart of counts per bucket, for a table cell. */
export function Sparkline({ points, label, color = '#6366f1' }: { points: { t: number; n: number; avgMs?: number | null }[]; label: string; color?: string }) {
  const max = Math.max(1, ...points.map((p) => p.n));
  return (
    <div role="img" aria-label={label} className="h-8 w-32">
      <AreaChart width={128} height={32} data={points} margin={{ top: 2, right: 0, bottom: 0, left: 0 }}>
        <YAxis hide domain={[0, max]} />
        <Tooltip
          cursor={false}
          wrapperStyle={{ zIndex: 40 }}
          contentStyle={{ fontSize: 11, padding: '2px 6px', borderRadius: 6 }}
          labelFormatter={(_, p) => (p[0] ? new Date((p[0].payload as { t: number }).t).toLocaleTimeString() : '')}
          formatter={(v) => [String(v), 'tasks']}
        />
        <Area type="monotone" dataKey="n" stroke={color} fill={color} fillOpacity={0.18} strokeWidth={1.5} isAnimationActive={false} dot={false} />
      </AreaChart>
    </div>
  );
}
