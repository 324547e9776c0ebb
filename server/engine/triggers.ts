/**
 * Event triggers: an event (not the engine's own) whose type matches a published workflow's trigger starts
 * a run of it, keyed by the event (`trigger:<workflow>:<event id>`, so a replay starts nothing twice). A
 * transient failure is retried with backoff; a permanent one is recorded as `trigger.failed`. Trigger events
 * whose start is still in flight hold the engine's consumer offset below them (README.md, "The offset rule").
 */
import { ENGINE_SOURCE, isEngineSource, type Spine, type SpineEvent } from '@/server/spine';
import { matchesType } from '@/server/spine/events';
import { SpineError } from '@/server/errors';
import type { WorkflowStore } from '@/server/workflows';
import type { StartRunRequest } from './appends';
import { triggerFailedKey, triggerStartKey } from './ids';

/** Tries to start a triggered run through a transient failure before recording `trigger.failed`. */
const TRIGGER_ATTEMPTS = 6;

export type EventTrigger = Awaited<ReturnType<WorkflowStore['eventTriggers']>>[number];

export type TriggerDeps = {
  spine: Spine;
  workflows: WorkflowStore;
  startRun: (req: StartRunRequest) => Promise<unknown>;
  /** The trace context the trigger event was published with, when this process saw it (tracing.ts). */
  traceOf?: (eventId: string) => StartRunRequest['trace'];
  /** True once the engine stops: a start cut short is left to the next start's replay. */
  stopping: () => boolean;
  /** A trigger event's starts have all settled: the offset may move past it. */
  settled: () => void;
};

export class Triggers {
  private list: EventTrigger[] = [];
  /**
   * Archived or not, as of the last `workflow.archived` / `workflow.restored` event routed (workflow id →
   * archived). The database holds the flag as of now, which may be ahead of the event being routed (archived
   * and restored again before the engine reached the event in between): the log's order decides.
   */
  private readonly archivedAt = new Map<string, boolean>();
  /** Trigger events whose run is still being started (seq → starts in flight). */
  private readonly pending = new Map<number, number>();

  constructor(private readonly deps: TriggerDeps) {}

  /** Re-reads the published workflows' event triggers. */
  async refresh() {
    this.list = await this.deps.workflows.eventTriggers();
  }

  /** A workflow archived or restored, in log order: its trigger is off or on for the events after it. */
  setArchived(workflowId: string, archived: boolean) {
    this.archivedAt.set(workflowId, archived);
  }

  /** Starts every workflow `e` triggers. The engine's own events start nothing; no client can write as the engine (server/spine/publishing.ts). */
  route(e: SpineEvent) {
    if (isEngineSource(e.source)) return;
    for (const t of this.list) {
      if ((this.archivedAt.get(t.workflowId) ?? t.archived) || !matchesType(t.eventType, e.type)) continue;
      void this.fire(t, e);
    }
  }

  /**
   * The highest offset that may be saved when `seen` is the last event routed: below the oldest trigger
   * event whose start is in flight, so a start cut short by a crash is made again from the log after a
   * restart (its idempotency key makes that safe) instead of being lost.
   */
  offsetBelowPending(seen: number): number {
    let offset = seen;
    for (const seq of this.pending.keys()) offset = Math.min(offset, seq - 1);
    return offset;
  }

  /**
   * Starts `t`'s workflow for a trigger event. A transient failure (the database busy or gone for a
   * moment) is retried with backoff; a permanent one (a 4xx, such as a workflow no longer published) is
   * recorded as `trigger.failed`, so the event that started nothing is visible in the log and the timeline.
   */
  private async fire(t: EventTrigger, e: SpineEvent): Promise<void> {
    this.pending.set(e.seq, (this.pending.get(e.seq) ?? 0) + 1);
    let settled = true;
    const payload = e.payload !== null && typeof e.payload === 'object' && !Array.isArray(e.payload) ? e.payload : { value: e.payload };
    const trace = this.deps.traceOf?.(e.id);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.deps.startRun({
            workflowId: t.workflowId,
            input: e.payload,
            intent: typeof payload.intent === 'string' ? payload.intent : `${e.type}${e.key ? ` for ${e.key}` : ''}`,
            key: e.key ?? undefined,
            idempotencyKey: triggerStartKey(t.workflowId, e.id),
            causationId: e.id,
            startedBy: e.source.name,
            trigger: { kind: 'event', eventSeq: e.seq, eventType: e.type },
            ...(trace && { trace }),
          });
          return;
        } catch (err) {
          if (this.deps.stopping()) {
            settled = false; // the saved offset stays below this event: the next start replays it
            return;
          }
          const permanent = err instanceof SpineError && err.httpStatus < 500;
          if (!permanent && attempt < TRIGGER_ATTEMPTS) {
            await new Promise((r) => setTimeout(r, Math.min(5_000, 50 * 2 ** attempt)));
            continue;
          }
          console.error(`spine engine: trigger of ${t.slug} by seq ${e.seq} failed`, err);
          const error = err instanceof SpineError ? { code: err.code, message: err.message } : { code: 'trigger.start_failed', message: err instanceof Error ? err.message : String(err) };
          await this.deps.spine
            .append([{ type: 'trigger.failed', source: ENGINE_SOURCE, causationId: e.id, idempotencyKey: triggerFailedKey(t.workflowId, e.id), payload: { workflowId: t.workflowId, workflowSlug: t.slug, version: t.version, eventSeq: e.seq, eventType: e.type, error } }])
            .catch((appendErr: unknown) => console.error('spine engine: cannot record trigger.failed', appendErr));
          return;
        }
      }
    } finally {
      if (settled) {
        const left = (this.pending.get(e.seq) ?? 1) - 1;
        if (left > 0) this.pending.set(e.seq, left);
        else this.pending.delete(e.seq);
        this.deps.settled();
      }
    }
  }
}
