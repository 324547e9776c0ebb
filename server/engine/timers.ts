/**
 * Durable timers, armed in memory. The due instant of every timer is recorded in the log first
 * (`timer.scheduled`, `task.retried`), so after a restart the engine folds each run and re-arms whatever is
 * still pending; `timer.fired` is appended with a per-(run, timer) idempotency key, so a timer fires at
 * most once however often it is armed. Waiting is a setTimeout (a pushed wake-up), never a poll.
 */
const MAX_DELAY = 2 ** 31 - 1;

export class TimerService {
  private readonly armed = new Map<string, NodeJS.Timeout>();

  constructor(private readonly fire: (runId: string, timerId: string) => void, private readonly now: () => number) {}

  arm(runId: string, timerId: string, dueAt: string) {
    const key = `${runId}|${timerId}`;
    if (this.armed.has(key)) return;
    const delay = Math.max(0, Date.parse(dueAt) - this.now());
    const t = setTimeout(() => {
      this.armed.delete(key);
      if (delay > MAX_DELAY) this.arm(runId, timerId, dueAt);
      else this.fire(runId, timerId);
    }, Math.min(delay, MAX_DELAY));
    t.unref?.();
    this.armed.set(key, t);
  }

  cancelRun(runId: string) {
    for (const [key, t] of this.armed) {
      if (key.startsWith(`${runId}|`)) {
        clearTimeout(t);
        this.armed.delete(key);
      }
    }
  }

  stop() {
    for (const t of this.armed.values()) clearTimeout(t);
    this.armed.clear();
  }

  get size() {
    return this.armed.size;
  }
}
