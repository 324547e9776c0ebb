/** How token counts and costs read on the overview and the run page (cost in the price's own currency). */
export function tokens(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toLocaleString('en-US');
}

export function cost(n: number | null): string {
  if (n === null) return '—';
  return n === 0 ? '0' : n < 0.01 ? n.toPrecision(2) : n.toFixed(2);
}
