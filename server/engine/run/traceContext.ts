/**
 * A run's W3C trace context (https://www.w3.org/TR/trace-context/), and the span ids every part of the
 * run gets within it. Pure: the run's trace is an input recorded on `run.started` (created at start, or
 * taken from the request that started it); every other span id is **derived** from it and from recorded
 * data (SHA-256 over trace id, part and ids, first 8 bytes), so deciding a run again from its log
 * dispatches the same `trace` on every `task.dispatched`, and the tracing exporter (server/observability/
 * tracing) names the same spans without storing anything of its own.
 *
 * Span tree of a run: run span (its parent is the caller's span, when the start came with a
 * `traceparent`) → node span per agent node → task span per attempt (the agent's `traceparent` names it,
 * so the agent's own spans nest under it) → a span per tool call an LLM agent made (the tool agent is
 * called with that span); approval-wait spans under the run span.
 */
import type { Json } from '@/server/spine';

/** What an agent receives (the same shape as `AgentTask.trace` in server/agents/adapter.ts, which sends it as headers). */
export type TraceContext = { traceparent: string; tracestate?: string };

/** A run's trace as `run.started` records it: its own span's `traceparent`, and the caller's span when it had one. */
export type RunTraceContext = TraceContext & { parentSpanId?: string };

/** A `traceparent` taken apart. `sampled`: the caller's sampled flag (bit 0 of the flags). */
export type TraceParent = { traceId: string; spanId: string; flags: string; sampled: boolean };

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[0-9a-zA-Z._-]*)?$/;
const TRACESTATE_MAX = 512;

/**
 * Parses a `traceparent` header as W3C Trace Context level 1 says: version `ff` and all-zero ids are
 * invalid; version `00` has exactly four fields; a later version may append fields (ignored). Null when invalid.
 */
export function parseTraceparent(value: string | null | undefined): TraceParent | null {
  const m = TRACEPARENT.exec((value ?? '').trim());
  if (!m) return null;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, flags, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

/**
 * The trace context of a request's headers (`traceparent`, `tracestate`), or undefined without a valid
 * `traceparent` (an invalid one is ignored, as the spec says: the receiver starts a new trace).
 * @example traceContextOf(req.headers) // { traceparent: '00-4bf9…-00f0…-01' }
 */
export function traceContextOf(headers: { get(name: string): string | null }): TraceContext | undefined {
  const tp = parseTraceparent(headers.get('traceparent'));
  if (!tp) return undefined;
  const state = headers.get('tracestate')?.trim();
  return { traceparent: formatTraceparent(tp.traceId, tp.spanId, tp.flags), ...(state && state.length <= TRACESTATE_MAX && { tracestate: state }) };
}

/** The run trace a `run.started` payload recorded, when it is well formed. */
export function runTraceOf(payload: Json | undefined): RunTraceContext | undefined {
  const t = (payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload.trace : undefined) as Partial<RunTraceContext> | undefined;
  if (!t || typeof t.traceparent !== 'string' || !parseTraceparent(t.traceparent)) return undefined;
  return { traceparent: t.traceparent, ...(typeof t.tracestate === 'string' && { tracestate: t.tracestate }), ...(typeof t.parentSpanId === 'string' && { parentSpanId: t.parentSpanId }) };
}

/**
 * A span id derived from the run's trace id and the parts naming the span: the first 8 bytes of
 * SHA-256(`<traceId>:<part>:…`), as 16 hex digits (never all zero).
 * @example spanIdOf('4bf92f3577b34da6a3ce929d0e0e4736', 'task', 'classify', 1)
 */
export function spanIdOf(traceId: string, ...parts: (string | number)[]): string {
  const id = sha256Hex([traceId, ...parts].join(':')).slice(0, 16);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

/** The lives of a reopened run get span ids of their own (attempt numbers start again there). */
const lifeOf = (reopened: number) => (reopened > 0 ? [`r${reopened}`] : []);

/** The span of an agent node (all its attempts) within the run's trace. */
export function nodeSpanId(traceId: string, nodeId: string, reopened = 0): string {
  return spanIdOf(traceId, 'node', nodeId, ...lifeOf(reopened));
}

/** The span of one attempt of an agent node: the span an agent's own spans nest under. */
export function taskSpanId(traceId: string, nodeId: string, attempt: number, reopened = 0): string {
  return spanIdOf(traceId, 'task', nodeId, attempt, ...lifeOf(reopened));
}

/** The span of an agent's n-th tool call (1-based) within its task's span. */
export function toolSpanId(traceId: string, taskSpan: string, n: number): string {
  return spanIdOf(traceId, 'tool', taskSpan, n);
}

/** The trace context a tool agent receives for the n-th tool call of the task whose context is `task`. */
export function toolTrace(task: TraceContext, n: number): TraceContext | undefined {
  const tp = parseTraceparent(task.traceparent);
  if (!tp) return undefined;
  return { traceparent: formatTraceparent(tp.traceId, toolSpanId(tp.traceId, tp.spanId, n), tp.flags), ...(task.tracestate && { tracestate: task.tracestate }) };
}

/** The span of the wait for one approval. */
export function approvalSpanId(traceId: string, approvalId: string): string {
  return spanIdOf(traceId, 'approval', approvalId);
}

/** The trace context a task's agent receives: the run's trace id and flags, the task's span id. */
export function taskTrace(run: RunTraceContext, nodeId: string, attempt: number, reopened = 0): TraceContext | undefined {
  const tp = parseTraceparent(run.traceparent);
  if (!tp) return undefined;
  return { traceparent: formatTraceparent(tp.traceId, taskSpanId(tp.traceId, nodeId, attempt, reopened), tp.flags), ...(run.tracestate && { tracestate: run.tracestate }) };
}

// ── SHA-256 (FIPS 180-4), in plain TypeScript: the pure core may not import node:crypto ────────────────

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Scratch space of `sha256Hex`, reused by every call (it is synchronous): span ids hash short strings often. */
const W = new Uint32Array(64);
const H = new Uint32Array(8);
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let scratch = new Uint8Array(256);

/** The UTF-8 bytes of `text` in `scratch`, padded as SHA-256 wants; returns the padded length. */
function pad(text: string): number {
  let n = text.length;
  let ascii = true;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) > 0x7f) { ascii = false; break; }
  const bytes = ascii ? null : new TextEncoder().encode(text);
  if (bytes) n = bytes.length;
  const total = ((n + 9 + 63) >> 6) << 6;
  if (scratch.length < total) scratch = new Uint8Array(total * 2);
  if (bytes) scratch.set(bytes);
  else for (let i = 0; i < n; i++) scratch[i] = text.charCodeAt(i);
  scratch.fill(0, n, total);
  scratch[n] = 0x80;
  const bits = n * 8;
  const hi = Math.floor(bits / 2 ** 32);
  const lo = bits >>> 0;
  scratch[total - 8] = hi >>> 24; scratch[total - 7] = (hi >>> 16) & 0xff; scratch[total - 6] = (hi >>> 8) & 0xff; scratch[total - 5] = hi & 0xff;
  scratch[total - 4] = lo >>> 24; scratch[total - 3] = (lo >>> 16) & 0xff; scratch[total - 2] = (lo >>> 8) & 0xff; scratch[total - 1] = lo & 0xff;
  return total;
}

/** SHA-256 of a string's UTF-8 bytes, as lower-case hex. Tested against node:crypto (traceContext.test.ts). */
export function sha256Hex(text: string): string {
  const total = pad(text);
  const bytes = scratch;
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a; H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      W[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = W[i - 15]!, y = W[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a: number = H[0]!, b: number = H[1]!, c: number = H[2]!, d: number = H[3]!, e: number = H[4]!, f: number = H[5]!, g: number = H[6]!, h: number = H[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H[0] = H[0]! + a; H[1] = H[1]! + b; H[2] = H[2]! + c; H[3] = H[3]! + d;
    H[4] = H[4]! + e; H[5] = H[5]! + f; H[6] = H[6]! + g; H[7] = H[7]! + h;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    const x = H[i]!;
    out += HEX[x >>> 24]! + HEX[(x >>> 16) & 0xff]! + HEX[(x >>> 8) & 0xff]! + HEX[x & 0xff]!;
  }
  return out;
}
