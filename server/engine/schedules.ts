/**
 * Scheduled triggers: a published workflow whose trigger is `schedule` (5-field cron, UTC) starts a run at
 * each matching minute. Each instant is started with the idempotency key `schedule:<workflow>:<instant>`,
 * so however many times an instant is armed (restarts, several processes), one run starts for it. After a
 * restart the next instant is armed; a missed instant during downtime is started once on start-up when it
 * is less than an hour old. Waiting is one setTimeout per workflow (a pushed wake-up), never a poll.
 */
import { nextCronTime } from '@/server/workflows/schema';
import type { WorkflowStore } from '@/server/workflows';
import type { Engine } from './engine';
import { scheduleKey } from './ids';

const MAX_DELAY = 2 ** 31 - 1;
const CATCH_UP_MS = 60 * 60 * 1000;

export class Scheduler {
  private timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly engine: Engine, private readonly workflows: WorkflowStore, private readonly now: () => number = Date.now) {}

  /** (Re)arms every scheduled workflow from the published versions. */
  async refresh(opts: { catchUp?: boolean } = {}) {
    if (this.stopped) return;
    const schedules: { workflowId: string; cron: string }[] = [];
    for (const w of await this.workflows.list()) {
      if (w.publishedVersion === null) continue;
      const v = await this.workflows.getVersion(w.id);
      const t = v.document.nodes.find((n) => n.kind === 'trigger');
      if (t?.kind === 'trigger' && t.config.mode === 'schedule' && t.config.cron) schedules.push({ workflowId: w.id, cron: t.config.cron });
    }
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of schedules) {
      if (opts.catchUp) {
        const last = lastInstantBefore(s.cron, this.now());
        if (last !== null && this.now() - last < CATCH_UP_MS) void this.fire(s.workflowId, s.cron, last, false);
      }
      this.arm(s.workflowId, s.cron);
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private arm(workflowId: string, cron: string) {
    const at = nextCronTime(cron, this.now());
    if (at === null || this.stopped) return;
    const t = setTimeout(() => void this.fire(workflowId, cron, at, true), Math.min(MAX_DELAY, Math.max(0, at - this.now())));
    t.unref?.();
    this.timers.set(workflowId, t);
  }

  private async fire(workflowId: string, cron: string, instant: number, rearm: boolean) {
    if (rearm && this.now() + 1000 < instant) return this.arm(workflowId, cron); // woke early (long delay clamp)
    try {
      await this.engine.startRun({
        workflowId, input: { scheduledFor: new Date(instant).toISOString() }, intent: `Scheduled run (${cron})`,
        idempotencyKey: scheduleKey(workflowId, instant), startedBy: 'scheduler', trigger: { kind: 'schedule' },
      });
    } catch (e) {
      console.error(`spine scheduler: run of ${workflowId} at ${new Date(instant).toISOString()} failed to start`, e);
    }
    if (rearm) this.arm(workflowId, cron);
  }
}

/** The latest matching instant at or before `nowMs` within the last day, or null. */
function lastInstantBefore(cron: string, nowMs: number): number | null {
  let t = nextCronTime(cron, nowMs - 24 * 3_600_000);
  let last: number | null = null;
  while (t !== null && t <= nowMs) {
    last = t;
    t = nextCronTime(cron, t);
  }
  return last;
}
