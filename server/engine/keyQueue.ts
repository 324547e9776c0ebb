/**
 * The entity-key queue: runs with the same entity key run one at a time, in the order they started
 * (`run.queued` / `run.key_acquired` record it in the log); runs with different keys run in parallel. A run
 * waiting on a person or a delay releases its key (`run.key_released`) and lines up again when it has work.
 * The queue is in memory, rebuilt on recovery from the runs' folded states. See README.md, "The key queue".
 */
import type { RunState } from './run/evolve';

export class KeyQueue {
  /** Per key, the runs in line: the first one holds the key. */
  private readonly lines = new Map<string, string[]>();

  constructor(
    /** The live state of a run this process drives (its place in line is judged from it). */
    private readonly stateOf: (runId: string) => RunState | undefined,
    /** Wakes a run that has just come first in line. */
    private readonly kick: (runId: string) => void,
  ) {}

  /** Whether any run is in line for `key` (a run started now would have to queue behind it). */
  has(key: string): boolean {
    return this.lines.has(key);
  }

  /** Whether the run may work now: it has no key, or it is first in line for it. */
  holds(state: RunState): boolean {
    if (!state.key) return true;
    return this.lines.get(state.key)?.[0] === state.runId;
  }

  /** The run first in line for the state's entity key (what a queued run waits behind). */
  holder(state: RunState): string | undefined {
    return state.key ? this.lines.get(state.key)?.[0] : undefined;
  }

  /**
   * Lines a run up for its key: in the order runs joined (start or reopening), behind any run that holds
   * the key now. A run that released its key (it waits on a person) is not in line until it has work again.
   */
  enqueue(state: RunState) {
    if (!state.key || state.gate === 'released') return;
    const q = this.lines.get(state.key) ?? [];
    if (q.includes(state.runId)) return;
    const of = (id: string) => (id === state.runId ? state : this.stateOf(id));
    const place = (id: string) => [of(id)?.gate === 'open' ? 0 : 1, of(id)?.keySeq ?? Number.MAX_SAFE_INTEGER] as const;
    q.push(state.runId);
    q.sort((a, b) => {
      const [ha, sa] = place(a);
      const [hb, sb] = place(b);
      return ha - hb || sa - sb;
    });
    this.lines.set(state.key, q);
  }

  /** Takes the run out of line; when it held the key, the next run in line is woken. */
  release(state: RunState) {
    if (!state.key) return;
    const q = this.lines.get(state.key);
    if (!q) return;
    const wasHead = q[0] === state.runId;
    const i = q.indexOf(state.runId);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.lines.delete(state.key);
    else if (wasHead) this.kick(q[0]!);
  }
}
