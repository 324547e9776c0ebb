/**
 * `@spine/sdk`: serve a Spine agent from any process, and follow the event log.
 *
 * @example
 * import { createSpine, RetryableError } from '@spine/sdk';
 * const spine = createSpine({ url: 'http://127.0.0.1:3000', apiKey: process.env.SPINE_AGENT_KEY! });
 * const agent = spine.agent({
 *   name: 'case-law',
 *   async handle(task, ctx) {
 *     await ctx.publish('case.note', { seen: task.input });
 *     return { citations: 3, envelopeVersion: ctx.envelope.version };
 *   },
 * });
 * await agent.start();
 * process.on('SIGTERM', () => void agent.stop()); // drains the tasks in hand
 */
import { createAgent, type Agent, type AgentOptions } from './agent.js';
import { transport } from './http.js';
import type { Json, PublishOptions, SpineEvent } from './types.js';

export { RetryableError, NonRetryableError, SpineApiError } from './errors.js';
export type { Agent, AgentOptions, Task, TaskContext } from './agent.js';
export type { Json, Envelope, SpineEvent, PublishOptions } from './types.js';

export type SpineClientOptions = {
  /** Spine's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** An API key (`spk_…`); an agent key for `spine.agent`. */
  apiKey: string;
  /** Sends every request through this `fetch` instead. @default `node:http` on Node, else globalThis.fetch */
  fetch?: typeof fetch;
};

export type SubscribeOptions = {
  /** Event type patterns (`case.*`). @default all the key may read */
  types?: string[];
  /** Only events with this entity key. */
  key?: string;
  /** The durable consumer's name: Spine keeps its offset, so a restart resumes after the last handled event. */
  consumer: string;
};

export type Subscription = {
  /** Stops following; resolves after the handler in progress has finished and its offset is committed. */
  close(): Promise<void>;
  /** Resolves once the stream is open. */
  ready: Promise<void>;
};

export type SpineClient = {
  agent(opts: AgentOptions): Agent;
  publish(type: string, data: Json, opts?: PublishOptions): Promise<{ seq: number; id: string }>;
  /**
   * A free subscriber (choreography): `handler` gets each matching event in seq order, at least once; the
   * consumer's offset is committed on the server after each one.
   */
  subscribe(opts: SubscribeOptions, handler: (e: SpineEvent) => Promise<void> | void): Subscription;
};

export function createSpine(opts: SpineClientOptions): SpineClient {
  const http = transport(opts.url, opts.apiKey, opts.fetch);
  const publish = (type: string, data: Json, o: PublishOptions = {}) => http.post<{ seq: number; id: string }>('/api/v1/events', { type, payload: data, ...o });
  return {
    publish,
    agent: (o) => createAgent(http, publish, o),
    subscribe(o, handler) {
      const ac = new AbortController();
      const q = new URLSearchParams();
      if (o.types?.length) q.set('types', o.types.join(','));
      if (o.key) q.set('key', o.key);
      const path = `/api/v1/consumers/${encodeURIComponent(o.consumer)}/stream${q.size ? `?${q}` : ''}`;
      let chain = Promise.resolve();
      let ready!: () => void;
      let failed!: (e: unknown) => void;
      const isReady = new Promise<void>((r, j) => ((ready = r), (failed = j)));
      const done = http
        .stream(path, {
          signal: ac.signal,
          onOpen: ready,
          onMessage(m) {
            const e = JSON.parse(m.data) as SpineEvent;
            chain = chain.then(async () => {
              await handler(e);
              await http.post(`/api/v1/consumers/${encodeURIComponent(o.consumer)}/commit`, { seq: e.seq });
            });
          },
        })
        .catch(failed);
      return {
        ready: isReady,
        async close() {
          ac.abort();
          await done;
          await chain.catch(() => undefined);
        },
      };
    },
  };
}
