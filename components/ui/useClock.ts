'use client';
/**
 * The current time for durations and "ago" labels, ticking every `ms` while `on`.
 *
 * It starts at `start`, the time the data was read on the server (`asOfMs`), so the server's render and
 * the browser's first render print the same text and hydration keeps the server's HTML; the first tick
 * after mount moves it to the browser's clock.
 */
import { useEffect, useState } from 'react';

export function useClock(ms: number, opts: { on?: boolean; start?: number } = {}): number {
  const { on = true, start } = opts;
  const [now, setNow] = useState(() => start ?? Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms, on]);
  return now;
}
