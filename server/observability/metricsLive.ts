/**
 * The overview, pushed: computed once when a view subscribes, then again after commits, at most every
 * MIN_INTERVAL_MS (a burst of commits becomes one recomputation). Driven by the log's commit wake-ups:
 * an idle log costs nothing. Subscribers of the same window share a computation for the same head.
 */
import type { Spine } from '@/server/spine';
import { overview, MetricsInput, type MetricWindow, type Overview } from './metrics';

export const MIN_INTERVAL_MS = 2000;

type Cached = { head: number; at: number; value: Promise<Overview> };
const caches = new WeakMap<Spine, Map<MetricWindow, Cached>>();

async function shared(spine: Spine, window: MetricWindow): Promise<Overview> {
  let byWindow = caches.get(spine);
  if (!byWindow) caches.set(spine, (byWindow = new Map()));
  const head = await spine.head();
  const hit = byWindow.get(window);
  if (hit && hit.head === head && Date.now() - hit.at < MIN_INTERVAL_MS) return hit.value;
  const value = overview(spine.log, { window });
  byWindow.set(window, { head, at: Date.now(), value });
  value.catch(() => byWindow.delete(window));
  return value;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function* overviewLive(spine: Spine, raw: MetricsInput, signal?: AbortSignal): AsyncGenerator<Overview> {
  const { window } = MetricsInput.parse(raw);
  let dirty = false;
  let wake: (() => void) | null = null;
  // Listen before the first computation, so a commit during it is not missed.
  const off = spine.log.onCommit(() => {
    dirty = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      dirty = false;
      const started = Date.now();
      yield await shared(spine, window);
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      await sleep(MIN_INTERVAL_MS - (Date.now() - started), signal);
    }
  } finally {
    off();
    signal?.removeEventListener('abort', onAbort);
  }
}
