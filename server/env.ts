/**
 * Spine's configuration, read from the environment once and validated with zod. Every setting has a
 * documented default (README "Configuration"); a bad value stops start-up with a message naming it.
 */
import { z } from 'zod';

export const SpineEnv = z.object({
  /** `file:./data/spine.db` (embedded SQLite) or `postgresql://...` (scale-out). */
  DATABASE_URL: z.string().min(1).default('file:./data/spine.db'),
  /** Port of the HTTP server. @default 3000 */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface to bind. @default 127.0.0.1 */
  HOST: z.string().default('127.0.0.1'),
  /** Largest accepted event payload (canonical JSON bytes); over it: 413, nothing stored. @default 67108864 (64 MiB) */
  SPINE_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(512 * 1024 * 1024).default(64 * 1024 * 1024),
  /**
   * Payloads over this are stored by reference: a content-addressed blob (files in `<db dir>/blobs` on SQLite,
   * the `blobs` table on PostgreSQL) whose SHA-256 the event row keeps in a small stub. @default 65536 (64 KiB)
   */
  SPINE_INLINE_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(64 * 1024),
  /**
   * SQLite durability. `FULL` (default): an acknowledged event survives power loss. `NORMAL`: survives a
   * process crash (kill -9) but the last commits may be lost on power loss; faster.
   */
  SPINE_SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  /** SQLite: `inline` commits batches on the main connection, `thread` on a writer thread beside the event loop. */
  SPINE_SQLITE_WRITER: z.enum(['thread', 'inline']).default('inline'),
  /** First admin, created at start when no admin exists. */
  SPINE_ADMIN_EMAIL: z.string().email().optional(),
  SPINE_ADMIN_PASSWORD: z.string().min(10).optional(),
  /** An admin-scoped API key (spk_…) ensured at start, for automation. */
  SPINE_API_KEY: z.string().startsWith('spk_').min(24).optional(),
  /**
   * How many reverse proxies in front of Spine append to X-Forwarded-For. 0 (default): the header is
   * ignored and a client is the connection's peer address; N: the Nth address from the right is the client.
   */
  SPINE_TRUSTED_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
  /** Register the builtin agents and the five demo workflows at start (idempotent). @default true */
  SPINE_SEED: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
  /**
   * An OpenAI-compatible endpoint (`https://api.openai.com/v1`, Ollama's `http://localhost:11434/v1`, vLLM's
   * `http://localhost:8000/v1`): when set, the seed registers the "Legal case with LLM specialists" agents as
   * LLM agents on it; unset, they are builtin stand-ins. A private address (localhost included) must also be
   * allowed with SPINE_OUTBOUND_ALLOW.
   */
  SPINE_OPENAI_BASE_URL: z.string().url().optional(),
  /** Bearer key for that endpoint (local servers usually need none); sealed when stored in the agents' config. */
  SPINE_OPENAI_API_KEY: z.string().min(1).optional(),
  /** The model the LLM specialists use. @default llama3.2 */
  SPINE_OPENAI_MODEL: z.string().min(1).default('llama3.2'),
  /**
   * A trace viewer's URL for one trace, with `{traceId}` where the id goes (Jaeger: `http://localhost:16686/trace/{traceId}`):
   * the run page links the run's trace there. Absent: the page shows the trace id to copy.
   */
  SPINE_TRACE_URL: z.string().url().refine((u) => u.includes('{traceId}'), 'SPINE_TRACE_URL needs {traceId} where the trace id goes').optional(),
  /** Publish demo events in the background (they start demo runs). @default true for `npm start` */
  SPINE_DEMO: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
});
export type SpineEnv = z.infer<typeof SpineEnv>;

let cached: SpineEnv | undefined;

export function readEnv(source: Record<string, string | undefined> = process.env): SpineEnv {
  const parsed = SpineEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid Spine configuration:\n${lines}`);
  }
  return parsed.data;
}

export function env(): SpineEnv {
  cached ??= readEnv();
  return cached;
}
