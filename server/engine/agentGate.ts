/**
 * An agent's limits, held where it is called: at most `concurrency` of its tasks in flight, at most
 * `ratePerMinute` started in any 60 s, first come first served. A task waits for its turn inside its own
 * timeout (the time limit counts from dispatch, so a task queued too long fails as a timeout like one that
 * ran too long) and leaves the queue when it is aborted. The engine runs in one process at a time (the
 * leader), so the limits hold for the whole deployment.
 *
 * @example
 * const release = await gate.acquire('llm-summarizer', { concurrency: 2, ratePerMinute: 60 }, signal);
 * try { await call(); } finally { release(); }
 */
import type { AgentLimits } from '@/server/agents';

const WINDOW_MS = 60_000;

type Waiter = { resolve: (release: () => void) => void; reject: (e: unknown) => void; limits: AgentLimits };

class Lane {
  inFlight = 0;
  /** Start times within the last window, oldest first. */
  readonly starts: number[] = [];
  readonly waiting: Waiter[] = [];
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class AgentGate {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Resolves with a release once a task of `agent` may start; rejects with the signal's reason if aborted first. */
  acquire(agent: string, limits: AgentLimits | undefined, signal: AbortSignal): Promise<() => void> {
    if (!limits?.concurrency && !limits?.ratePerMinute) return Promise.resolve(() => {});
    const lane = this.laneOf(agent);
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const w: Waiter = { resolve, reject, limits };
      lane.waiting.push(w);
      signal.addEventListener('abort', () => {
        const i = lane.waiting.indexOf(w);
        if (i < 0) return; // already started
        lane.waiting.splice(i, 1);
        reject(signal.reason);
      }, { once: true });
      this.pump(agent, lane);
    });
  }

  /** Tasks of `agent` in flight and waiting (for health and tests). */
  load(agent: string): { inFlight: number; waiting: number } {
    const lane = this.lanes.get(agent);
    return { inFlight: lane?.inFlight ?? 0, waiting: lane?.waiting.length ?? 0 };
  }

  private laneOf(agent: string): Lane {
    let lane = this.lanes.get(agent);
    if (!lane) this.lanes.set(agent, (lane = new Lane()));
    return lane;
  }

  /** Starts waiters in order while the limits allow; when only the rate holds one back, wakes when it will. */
  private pump(agent: string, lane: Lane) {
    const now = this.now();
    while (lane.starts.length && lane.starts[0]! <= now - WINDOW_MS) lane.starts.shift();
    while (lane.waiting.length) {
      const { limits } = lane.waiting[0]!;
      if (limits.concurrency && lane.inFlight >= limits.concurrency) return;
      if (limits.ratePerMinute && lane.starts.length >= limits.ratePerMinute) {
        if (!lane.timer) {
          lane.timer = setTimeout(() => {
            lane.timer = undefined;
            this.pump(agent, lane);
          }, lane.starts[0]! + WINDOW_MS - now);
          lane.timer.unref?.();
        }
        return;
      }
      const w = lane.waiting.shift()!;
      lane.inFlight++;
      lane.starts.push(now);
      let released = false;
      w.resolve(() => {
        if (released) return;
        released = true;
        lane.inFlight--;
        this.pump(agent, lane);
      });
    }
  }
}
