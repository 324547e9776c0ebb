/**
 * An agent process: receives its agent's tasks by push (the agent task stream), claims each one (a lease,
 * extended by heartbeats while `handle` runs), posts the result or the error, and aborts `ctx.signal` when
 * Spine cancels the task (its run ended, the attempt timed out) or the lease is lost. `stop()` stops taking
 * tasks and waits for the ones in hand (drain).
 */
import { NonRetryableError, SpineApiError } from './errors.js';
import type { Transport } from './http.js';
import type { Envelope, Json, PublishOptions } from './types.js';

/** A task as the stream announces it: already leased to this process (`claim`), or an offer to claim. */
type Offer = { id: number; eventId?: string; key: string; runId: string; nodeId: string; attempt: number; traceparent?: string; tracestate?: string; claim?: Claimed };

export type Task = {
  /** The task id (the seq of its `task.dispatched`). */
  id: number;
  /** The attempt's idempotency key: the same for every delivery of this attempt. */
  key: string;
  agent: string;
  runId: string;
  nodeId: string;
  attempt: number;
  input: Json;
};

export type TaskContext = {
  /** The run's envelope (intent, constraints, state, history) as the task was dispatched. */
  envelope: Envelope;
  /** Aborts when the task is cancelled (run ended, attempt timed out) or the lease was lost. */
  signal: AbortSignal;
  /**
   * The task's span in the run's W3C trace (`00-<trace id>-<span id>-<flags>`): start the agent's own spans
   * with it as their parent (e.g. OpenTelemetry's W3CTraceContextPropagator) and they join the run's trace.
   * Absent for a run without a trace.
   */
  traceparent?: string;
  /** The trace's vendor state (W3C `tracestate`), when the run's trace has one. */
  tracestate?: string;
  /** Publishes an event of a type this agent's key declares; its cause is the task's dispatch. */
  publish(type: string, data: Json, opts?: PublishOptions): Promise<{ seq: number; id: string }>;
};

export type AgentOptions = {
  /** The agent's name (the one its key is bound to). */
  name: string;
  /** Node ids (or globs: `case-*`) this process serves; others are left to other processes. @default all */
  handles?: string | string[];
  /** Tasks handled at once. @default 8 */
  concurrency?: number;
  /** Names this process in leases (`<key>/<holder>`). @default `<name>-<pid>` */
  holder?: string;
  handle(task: Task, ctx: TaskContext): Promise<Json | void> | Json | void;
  /** Called with errors the agent recovers from (a dropped stream, a refused post). */
  onError?(e: unknown): void;
};

export type Agent = {
  /** Connects; resolves once the task stream is open (rejects when the key is refused). */
  start(): Promise<void>;
  /** Stops taking tasks and resolves when the tasks in hand have finished. */
  stop(): Promise<void>;
  /** Tasks being handled now. */
  readonly inFlight: number;
};

type Claimed = { token: string; leaseMs: number; expiresAt: string; task: Task & { envelope: Envelope; traceparent?: string; tracestate?: string } };

const globToRegExp = (g: string) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

export function createAgent(http: Transport, publish: (type: string, data: Json, opts?: PublishOptions) => Promise<{ seq: number; id: string }>, opts: AgentOptions): Agent {
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const handles = opts.handles === undefined ? null : (Array.isArray(opts.handles) ? opts.handles : [opts.handles]).map(globToRegExp);
  const holder = opts.holder ?? `${opts.name}-${(globalThis as { process?: { pid: number } }).process?.pid ?? 'web'}`;
  const onError = opts.onError ?? (() => undefined);
  const queue: Offer[] = [];
  const running = new Map<string, AbortController>();
  const finished = new Set<() => void>();
  let streamAbort: AbortController | undefined;
  let streamDone: Promise<void> | undefined;
  let stopping = false;

  const pump = () => {
    while (!stopping && running.size < concurrency && queue.length > 0) void run(queue.shift()!);
  };

  async function run(offer: Offer) {
    const ac = new AbortController();
    running.set(offer.key, ac);
    try {
      let claimed: Claimed;
      // The stream leased it to this process already (it had room), or it is an offer to claim now.
      if (offer.claim) claimed = offer.claim;
      else {
        try {
          claimed = await http.post<Claimed>(`/api/v1/agent/tasks/${offer.id}/claim`, { holder });
        } catch (e) {
          // Taken by another process, or no longer on offer: not ours.
          if (!(e instanceof SpineApiError && (e.status === 409 || e.status === 404))) onError(e);
          return;
        }
      }
      const { token, leaseMs } = claimed;
      const { envelope, traceparent = offer.traceparent, tracestate = offer.tracestate, ...task } = claimed.task;
      const beat = setInterval(() => {
        http.post(`/api/v1/agent/tasks/${offer.id}/heartbeat`, { token }).catch((e: unknown) => {
          if (e instanceof SpineApiError && e.status === 409) ac.abort(new Error('the lease on this task was lost'));
          else onError(e);
        });
      }, Math.max(50, Math.floor(leaseMs / 3)));
      try {
        const ctx: TaskContext = {
          envelope,
          signal: ac.signal,
          ...(traceparent && { traceparent }),
          ...(tracestate && { tracestate }),
          publish: (type, data, o) => publish(type, data, { runId: task.runId, ...(offer.eventId && { causationId: offer.eventId }), ...o }),
        };
        let outcome: { output: Json } | { error: unknown };
        try {
          outcome = { output: ((await opts.handle(task, ctx)) ?? null) as Json };
        } catch (e) {
          outcome = { error: e };
        }
        clearInterval(beat);
        // A cancelled task's lease is gone: there is nothing to post.
        if (ac.signal.aborted) return;
        if ('output' in outcome) await http.post(`/api/v1/agent/tasks/${offer.id}/result`, { token, output: outcome.output });
        else {
          const e = outcome.error;
          const retryAfterMs = typeof (e as { retryAfterMs?: unknown })?.retryAfterMs === 'number' ? (e as { retryAfterMs: number }).retryAfterMs : undefined;
          await http.post(`/api/v1/agent/tasks/${offer.id}/error`, {
            token,
            message: (e instanceof Error ? e.message : String(e)).slice(0, 4000),
            retryable: !(e instanceof NonRetryableError),
            ...(retryAfterMs !== undefined && { retryAfterMs: Math.round(retryAfterMs) }),
          });
        }
      } catch (e) {
        if (!(e instanceof SpineApiError && e.status === 409)) onError(e);
      } finally {
        clearInterval(beat);
      }
    } finally {
      running.delete(offer.key);
      for (const f of finished) f();
      pump();
    }
  }

  function onMessage(m: { event?: string; data: string }) {
    let data: Offer;
    try {
      data = JSON.parse(m.data) as Offer;
    } catch {
      return;
    }
    if (m.event === 'task') {
      if (data.claim) {
        // Leased to this process by the stream: run it now (the stream counted the room), or hand it back.
        if (running.has(data.key)) return;
        if (stopping) return void release(data.id, data.claim.token);
        void run(data);
        return;
      }
      if (handles && !handles.some((r) => r.test(data.nodeId))) return;
      if (running.has(data.key) || queue.some((q) => q.key === data.key)) return;
      queue.push(data);
      pump();
    } else if (m.event === 'cancel') {
      const i = queue.findIndex((q) => q.key === data.key);
      if (i >= 0) queue.splice(i, 1);
      running.get(data.key)?.abort(new Error(`cancelled: ${(data as { reason?: string }).reason ?? 'by Spine'}`));
    }
  }

  /** A task leased to this process while it stops: failed as retryable at once, so another process takes it now rather than at the lease's expiry. */
  function release(id: number, token: string) {
    http.post(`/api/v1/agent/tasks/${id}/error`, { token, message: 'the agent process is stopping', retryable: true }).catch(onError);
  }

  /** The stream claims for this process while fewer than `concurrency` of its tasks are open. */
  const streamPath = `/api/v1/agent/tasks/stream?${new URLSearchParams({ capacity: String(concurrency), holder, ...(opts.handles !== undefined && { handles: (Array.isArray(opts.handles) ? opts.handles : [opts.handles]).join(',') }) })}`;

  return {
    get inFlight() {
      return running.size;
    },
    start() {
      if (streamAbort) return Promise.resolve();
      stopping = false;
      streamAbort = new AbortController();
      const signal = streamAbort.signal;
      return new Promise<void>((resolve, reject) => {
        streamDone = http
          .stream(streamPath, { signal, onMessage, onOpen: resolve, onError })
          .catch((e: unknown) => {
            streamAbort = undefined;
            reject(e);
          });
      });
    },
    async stop() {
      stopping = true;
      queue.length = 0;
      streamAbort?.abort();
      streamAbort = undefined;
      await streamDone;
      while (running.size > 0) await new Promise<void>((r) => finished.add(function f() { finished.delete(f); r(); }));
    },
  };
}
