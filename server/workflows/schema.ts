/**
 * The workflow document: a versioned JSON graph of typed nodes and edges. Isomorphic (zod and plain TS, no
 * `node:*`, no db), so the designer, the public API and the engine parse with the same rules.
 *
 * What the schema guarantees is the *shape*: every object is strict, every config field is typed and
 * defaulted, every duration is a number of milliseconds. What it does not check is the *graph* (reachability,
 * cycles, handles, joins, agents, expressions): that is `validate.ts`, which returns coded problems the
 * designer draws on nodes and publish refuses. Drafts may therefore be incomplete (an agent node whose agent
 * is not chosen yet still parses) but never malformed.
 *
 * Edges leave a node by a handle (`edgeHandle`): `default` when `sourceHandle` is absent. Per kind:
 * agent → `default` (success) or `error` (after retries are exhausted); join → `default` or `error` (its quorum
 * became unreachable, or it timed out with `onTimeout: 'fail'`); router → a route id or `default`;
 * approval → `approved` or `rejected`; every other kind → `default` only; end → none.
 */
import { z } from 'zod';
import { ValidationError } from '@/server/errors';
import { TypePattern } from '@/server/spine/events';
import type { Role } from '@/server/auth/roles';

// ---------------------------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------------------------

export const NODE_KINDS = ['trigger', 'agent', 'fanOut', 'join', 'router', 'approval', 'delay', 'setContext', 'end'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** Longest duration any config accepts: 365 days. */
export const MAX_DURATION_MS = 365 * 24 * 60 * 60 * 1000;
/** Longest CEL source accepted anywhere in a document (also enforced by `expressions.ts`). */
export const MAX_EXPRESSION_LENGTH = 2000;

const ID_REGEX = /^[A-Za-z0-9_-]{1,64}$/;
export const NodeId = z.string().regex(ID_REGEX, 'ids are 1-64 letters, digits, "_" or "-"');
export type NodeId = z.infer<typeof NodeId>;

/** CEL source. Checked (parse, identifiers, types) by `validate.ts`, evaluated by `expressions.ts`. */
export const Expression = z.string().min(1).max(MAX_EXPRESSION_LENGTH);
export type Expression = z.infer<typeof Expression>;

/** A state or output key: a CEL identifier, so `state.<key>` reads it back. */
export const StateKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'keys are identifiers: a letter or "_", then letters, digits or "_"');

const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A key of a mapping's result. Prototype-shaped names are refused so no merge downstream can be misled. */
export const MappingKey = z.string().min(1).max(64).refine((k) => !RESERVED_KEYS.has(k), 'this key name is reserved');

/** Mapping from result keys to CEL expressions, e.g. `{ address: 'state.address' }`. At most 100 keys. */
export const ExpressionMapping = z.record(MappingKey, Expression).refine((m) => Object.keys(m).length <= 100, 'at most 100 keys');
export type ExpressionMapping = z.infer<typeof ExpressionMapping>;

const Duration = z.number().int().min(0).max(MAX_DURATION_MS);
const PositiveDuration = z.number().int().min(1).max(MAX_DURATION_MS);

export const Position = z.object({ x: z.number(), y: z.number() }).strict();
export type Position = z.infer<typeof Position>;

/** Retry with exponential backoff and jitter (Temporal's RetryPolicy). Delay before attempt n+1 is
 * `min(maxBackoffMs, initialBackoffMs * backoffMultiplier^(n-1))`, randomized by ±`jitter`. */
export const RetryPolicy = z
  .object({
    /** Attempts including the first. @default 3 */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** Delay before the second attempt. @default 200 */
    initialBackoffMs: Duration.default(200),
    /** Growth of the delay per attempt. @default 2 */
    backoffMultiplier: z.number().min(1).max(10).default(2),
    /** Cap on any single delay. @default 10000 */
    maxBackoffMs: Duration.default(10_000),
    /** 0..1 fraction of randomization applied to each delay. @default 0.2 */
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetryPolicy>;

// ---------------------------------------------------------------------------------------------------------
// Cron (5 fields, UTC): minute hour day-of-month month day-of-week
// ---------------------------------------------------------------------------------------------------------

export type CronSchedule = { minute: number[]; hour: number[]; dayOfMonth: number[]; month: number[]; dayOfWeek: number[]; domRestricted: boolean; dowRestricted: boolean };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, base: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, base: 0 },
] as const;

function cronValue(raw: string, f: (typeof CRON_FIELDS)[number]): number {
  const byName = 'names' in f ? f.names.indexOf(raw.toLowerCase()) : -1;
  const v = byName >= 0 && 'base' in f ? byName + f.base : /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(v) || v < f.min || v > f.max) throw new Error(`${f.name}: '${raw}' is not in ${f.min}-${f.max}`);
  return v;
}

/**
 * Parses a 5-field cron expression (`*`, lists, ranges, steps, month and weekday names; weekday 7 = Sunday).
 * Throws a readable Error on anything else. Schedules are evaluated in UTC.
 */
export function parseCron(expr: string): CronSchedule {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const sets = parts.map((part, i) => {
    const f = CRON_FIELDS[i]!;
    const out = new Set<number>();
    for (const item of part.split(',')) {
      const m = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d{1,2}))?$/.exec(item);
      if (!m) throw new Error(`${f.name}: cannot read '${item}'`);
      const step = m[2] === undefined ? 1 : Number(m[2]);
      if (step < 1) throw new Error(`${f.name}: step must be at least 1`);
      let lo: number = f.min;
      let hi: number = f.max;
      if (m[1] !== '*') {
        const [a, b] = m[1]!.split('-');
        lo = cronValue(a!, f);
        hi = b === undefined ? (m[2] === undefined ? lo : f.max) : cronValue(b, f);
        if (hi < lo) throw new Error(`${f.name}: range '${m[1]}' runs backwards`);
      }
      for (let v = lo; v <= hi; v += step) out.add(i === 4 && v === 7 ? 0 : v);
    }
    return [...out].sort((a, b) => a - b);
  });
  return {
    minute: sets[0]!,
    hour: sets[1]!,
    dayOfMonth: sets[2]!,
    month: sets[3]!,
    dayOfWeek: sets[4]!,
    domRestricted: parts[2] !== '*',
    dowRestricted: parts[4] !== '*',
  };
}

/**
 * The first instant strictly after `afterMs` (epoch ms) that matches `expr`, in UTC, or null if none within
 * about five years (e.g. `0 0 31 2 *`). When both day fields are restricted, either may match (as in cron).
 */
export function nextCronTime(expr: string | CronSchedule, afterMs: number): number | null {
  const c = typeof expr === 'string' ? parseCron(expr) : expr;
  const d = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  const limit = afterMs + 5 * 366 * 24 * 3_600_000;
  const dayMatches = (t: Date) => {
    const dom = c.dayOfMonth.includes(t.getUTCDate());
    const dow = c.dayOfWeek.includes(t.getUTCDay());
    return c.domRestricted && c.dowRestricted ? dom || dow : dom && dow;
  };
  while (d.getTime() <= limit) {
    if (!c.month.includes(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!c.hour.includes(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!c.minute.includes(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else return d.getTime();
  }
  return null;
}

export const CronExpression = z
  .string()
  .max(200)
  .superRefine((v, ctx) => {
    try {
      parseCron(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid cron: ${(e as Error).message}` });
    }
  });

// ---------------------------------------------------------------------------------------------------------
// Per-kind configs
// ---------------------------------------------------------------------------------------------------------

export const TRIGGER_MODES = ['event', 'manual', 'schedule'] as const;
export const KEY_HOLDS = ['working', 'run'] as const;
export type KeyHold = (typeof KEY_HOLDS)[number];

/** How a run starts. Any published workflow can also be started through the API, whatever its mode. */
export const TriggerConfig = z
  .object({
    /** `event`: a spine event matching `eventType`; `manual`: UI/API only; `schedule`: `cron`. @default 'manual' */
    mode: z.enum(TRIGGER_MODES).default('manual'),
    /** Event type pattern (`case.opened`, `booking.*`). Required when mode = event. */
    eventType: TypePattern.optional(),
    /** 5-field cron, UTC. Required when mode = schedule. */
    cron: CronExpression.optional(),
    /**
     * How long a run holds its entity key: `working` (only while it has work to do: waiting on a person or a
     * delay releases the key, and the run takes it back in its turn after) or `run` (its whole life).
     * @default 'working'
     */
    keyHold: z.enum(KEY_HOLDS).default('working'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'event' && !c.eventType) ctx.addIssue({ code: 'custom', path: ['eventType'], message: 'an event trigger needs an event type' });
    if (c.mode === 'schedule' && !c.cron) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'a schedule trigger needs a cron expression' });
  });
export type TriggerConfig = z.infer<typeof TriggerConfig>;

export const ON_STALE = ['rerun', 'accept', 'fail'] as const;

/** Hands work to one agent of the registry. */
export const AgentConfig = z
  .object({
    /** Agent name in the registry. Empty while a draft is being drawn (validation reports `agent.not_set`). */
    agent: z.string().max(128),
    /** Input mapping: key → CEL. Absent: the agent receives the run input as is. */
    input: ExpressionMapping.optional(),
    /** State key the output is also written to (`state.<outputKey>`). Every output is in `results.<nodeId>`. */
    outputKey: StateKey.optional(),
    /** Per-attempt timeout. @default 30000 */
    timeoutMs: PositiveDuration.default(30_000),
    /** @default {} (3 attempts, 200 ms doubling to 10 s, 20 % jitter) */
    retry: RetryPolicy.prefault({}),
    /** What to do with a result computed on an envelope that changed meanwhile. @default 'rerun' */
    onStale: z.enum(ON_STALE).default('rerun'),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfig>;

export const FanOutStatic = z.object({ mode: z.literal('static') }).strict();
export const FanOutMap = z
  .object({
    mode: z.literal('map'),
    /**
     * CEL evaluating to a list, once, when the fan-out starts. Each item runs the single branch (the nodes up
     * to the join) with `item` and `index` bound; the join's output is the items' results in item order.
     */
    items: Expression,
    /** Branch instances running at once: the next item starts when one ends. @default 4 */
    concurrency: z.number().int().min(1).max(100).default(4),
  })
  .strict();
/** Most items one map fan-out runs (a longer list fails the run with `fanOut.too_many_items`). */
export const MAX_MAP_ITEMS = 10_000;

/** Parallel branches: `static` runs every outgoing edge at once; `map` runs its one branch per list item. */
export const FanOutConfig = z.discriminatedUnion('mode', [FanOutStatic, FanOutMap]);
export type FanOutConfig = z.infer<typeof FanOutConfig>;

export const JOIN_MODES = ['all', 'any', 'quorum'] as const;

/**
 * Waits for branches: `all` that were not skipped, `any` (the first), or `quorum` k of them. With `any` and
 * `quorum`, a failed branch counts as failed, not as a failed run; the join itself fails (by its `error`
 * edge if it has one, else the run fails with `join.quorum_unreachable`) once k cannot be reached.
 */
export const JoinConfig = z
  .object({
    /** @default 'all' */
    mode: z.enum(JOIN_MODES).default('all'),
    /** Inputs needed in quorum mode (1..number of inputs; after a map fan-out, items). */
    quorum: z.number().int().min(1).optional(),
    /** Counted from the start of the fan-out the branches leave (without one: from the first arrival). Absent: waits forever. */
    timeoutMs: PositiveDuration.optional(),
    /** On timeout: fail the run, or continue with what arrived. @default 'fail' */
    onTimeout: z.enum(['fail', 'continue']).default('fail'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'quorum' && c.quorum === undefined) ctx.addIssue({ code: 'custom', path: ['quorum'], message: 'a quorum join needs a quorum' });
  });
export type JoinConfig = z.infer<typeof JoinConfig>;

/** Handle names the router reserves. */
export const DEFAULT_HANDLE = 'default';

export const Route = z
  .object({
    /** The handle id its edge leaves by. Not `default`, unique in the router. */
    id: z.string().regex(ID_REGEX, 'route ids are 1-64 letters, digits, "_" or "-"'),
    label: z.string().max(200).optional(),
    /** CEL evaluating to a bool. */
    condition: Expression,
  })
  .strict();
export type Route = z.infer<typeof Route>;

/** Ordered conditions; the first that holds wins; none → the edge with sourceHandle `default`. */
export const RouterConfig = z.object({ routes: z.array(Route).max(50).default(() => []) }).strict();
export type RouterConfig = z.infer<typeof RouterConfig>;

/** What a lapsed SLA does: decide automatically, fail the run, or hand the approval to another role. */
export const ON_LAPSE = ['approve', 'reject', 'fail', 'escalate'] as const;

/**
 * The roles an approval can name: Spine's roles (server/auth/roles.ts `ROLES`, kept equal by a test; this
 * file is loaded in the browser and imports no server module at run time).
 */
export const APPROVAL_ROLES = ['admin', 'architect', 'operator', 'approver', 'auditor'] as const satisfies readonly Role[];
export const ApprovalRole = z.enum(APPROVAL_ROLES);

/** A human gate: leaves by `approved` or `rejected`. */
export const ApprovalConfig = z
  .object({
    /** Role allowed to decide (admins always may). @default 'approver' */
    role: ApprovalRole.default('approver'),
    /** Shown to the approver. */
    instructions: z.string().max(4000).optional(),
    /** Time allowed for a decision. Absent: no deadline. */
    slaMs: PositiveDuration.optional(),
    /** What a lapsed SLA does. @default 'fail' */
    onLapse: z.enum(ON_LAPSE).default('fail'),
    /** With `onLapse: 'escalate'`: the role the approval is handed to when its SLA lapses. */
    escalateTo: ApprovalRole.optional(),
    /** With `onLapse: 'escalate'`: time the escalated role has; when it lapses too, the run fails. Absent: no deadline. */
    escalationSlaMs: PositiveDuration.optional(),
    /** Distinct approvals needed. @default 1 */
    requiredApprovals: z.number().int().min(1).max(5).default(1),
    /** Whether the run's requester may approve it. @default false */
    allowRequester: z.boolean().default(false),
    /**
     * Four eyes: approval nodes whose approvers may not decide this one (refused with `approval.four_eyes`).
     * @default [] (anyone with the role)
     */
    distinctFrom: z.array(NodeId).max(10).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.onLapse === 'escalate' && !c.escalateTo) ctx.addIssue({ code: 'custom', path: ['escalateTo'], message: 'escalating needs a role to escalate to' });
  });
export type ApprovalConfig = z.infer<typeof ApprovalConfig>;

export const DelayDuration = z.object({ mode: z.literal('duration'), durationMs: Duration }).strict();
export const DelayUntil = z
  .object({
    mode: z.literal('until'),
    /** CEL evaluating to an ISO-8601 timestamp string or epoch ms. */
    until: Expression,
  })
  .strict();
/** Waits on a durable timer. */
export const DelayConfig = z.discriminatedUnion('mode', [DelayDuration, DelayUntil]);
export type DelayConfig = z.infer<typeof DelayConfig>;

/** Patches the envelope state: key → CEL. Empty while drawn (validation reports `setContext.empty_patch`). */
export const SetContextConfig = z.object({ patch: ExpressionMapping.default(() => ({})) }).strict();
export type SetContextConfig = z.infer<typeof SetContextConfig>;

/** Finishes the run. `output` maps keys to CEL; absent: the run output is every node's result. */
export const EndConfig = z
  .object({
    /** @default 'success' */
    outcome: z.enum(['success', 'failure']).default('success'),
    output: ExpressionMapping.optional(),
  })
  .strict();
export type EndConfig = z.infer<typeof EndConfig>;

// ---------------------------------------------------------------------------------------------------------
// Defaults and metadata (the designer reads these; never duplicate them on components)
// ---------------------------------------------------------------------------------------------------------

type ConfigByKind = {
  trigger: TriggerConfig;
  agent: AgentConfig;
  fanOut: FanOutConfig;
  join: JoinConfig;
  router: RouterConfig;
  approval: ApprovalConfig;
  delay: DelayConfig;
  setContext: SetContextConfig;
  end: EndConfig;
};
export type NodeConfig<K extends NodeKind = NodeKind> = ConfigByKind[K];

const DEFAULT_INPUT = {
  trigger: {},
  agent: { agent: '' },
  fanOut: { mode: 'static' },
  join: {},
  router: {},
  approval: {},
  delay: { mode: 'duration', durationMs: 60_000 },
  setContext: {},
  end: {},
} as const;

/** The config a freshly dropped node gets (deeply frozen; `createNode` hands out copies). */
export const KIND_DEFAULTS: { readonly [K in NodeKind]: Readonly<ConfigByKind[K]> } = deepFreeze({
  trigger: TriggerConfig.parse(DEFAULT_INPUT.trigger),
  agent: AgentConfig.parse(DEFAULT_INPUT.agent),
  fanOut: FanOutConfig.parse(DEFAULT_INPUT.fanOut),
  join: JoinConfig.parse(DEFAULT_INPUT.join),
  router: RouterConfig.parse(DEFAULT_INPUT.router),
  approval: ApprovalConfig.parse(DEFAULT_INPUT.approval),
  delay: DelayConfig.parse(DEFAULT_INPUT.delay),
  setContext: SetContextConfig.parse(DEFAULT_INPUT.setContext),
  end: EndConfig.parse(DEFAULT_INPUT.end),
});

export type KindMeta = {
  label: string;
  description: string;
  /** How many incoming edges the kind takes. */
  inputs: 'none' | 'one' | 'many';
  /** Fixed output handle names; [] for end. A router also has one handle per route id (see `outputHandles`). */
  outputs: readonly string[];
};

export const KIND_META: { readonly [K in NodeKind]: KindMeta } = {
  trigger: { label: 'Trigger', description: 'Starts a run: on a spine event, by hand or API, or on a schedule.', inputs: 'none', outputs: ['default'] },
  agent: { label: 'Agent', description: 'Hands work to an agent, with timeout, retries and an error edge.', inputs: 'one', outputs: ['default', 'error'] },
  fanOut: { label: 'Fan-out', description: 'Runs branches in parallel, or one branch per item of a list.', inputs: 'one', outputs: ['default'] },
  join: { label: 'Join', description: 'Waits for all, any or a quorum of its branches.', inputs: 'many', outputs: ['default', 'error'] },
  router: { label: 'Router', description: 'Takes the first branch whose condition holds, else the default.', inputs: 'one', outputs: ['default'] },
  approval: { label: 'Approval', description: 'Waits for a human decision, with an SLA.', inputs: 'one', outputs: ['approved', 'rejected'] },
  delay: { label: 'Delay', description: 'Waits for a duration or until an instant.', inputs: 'one', outputs: ['default'] },
  setContext: { label: 'Set context', description: 'Patches the shared state of the run.', inputs: 'one', outputs: ['default'] },
  end: { label: 'End', description: 'Finishes the run with success or failure and an output.', inputs: 'one', outputs: [] },
};

// ---------------------------------------------------------------------------------------------------------
// Nodes, edges, document
// ---------------------------------------------------------------------------------------------------------

const base = <K extends NodeKind>(kind: K) => ({
  id: NodeId,
  kind: z.literal(kind),
  label: z.string().max(200).optional(),
  position: Position.default(() => ({ x: 0, y: 0 })),
});

export const TriggerNode = z.object({ ...base('trigger'), config: TriggerConfig.prefault(DEFAULT_INPUT.trigger) }).strict();
export const AgentNode = z.object({ ...base('agent'), config: AgentConfig.prefault(DEFAULT_INPUT.agent) }).strict();
export const FanOutNode = z.object({ ...base('fanOut'), config: FanOutConfig.prefault(DEFAULT_INPUT.fanOut) }).strict();
export const JoinNode = z.object({ ...base('join'), config: JoinConfig.prefault(DEFAULT_INPUT.join) }).strict();
export const RouterNode = z.object({ ...base('router'), config: RouterConfig.prefault(DEFAULT_INPUT.router) }).strict();
export const ApprovalNode = z.object({ ...base('approval'), config: ApprovalConfig.prefault(DEFAULT_INPUT.approval) }).strict();
export const DelayNode = z.object({ ...base('delay'), config: DelayConfig.prefault(DEFAULT_INPUT.delay) }).strict();
export const SetContextNode = z.object({ ...base('setContext'), config: SetContextConfig.prefault(DEFAULT_INPUT.setContext) }).strict();
export const EndNode = z.object({ ...base('end'), config: EndConfig.prefault(DEFAULT_INPUT.end) }).strict();

export const WorkflowNode = z.discriminatedUnion('kind', [TriggerNode, AgentNode, FanOutNode, JoinNode, RouterNode, ApprovalNode, DelayNode, SetContextNode, EndNode]);
export type WorkflowNode = z.infer<typeof WorkflowNode>;
export type TriggerNode = Extract<WorkflowNode, { kind: 'trigger' }>;
export type AgentNode = Extract<WorkflowNode, { kind: 'agent' }>;
export type FanOutNode = Extract<WorkflowNode, { kind: 'fanOut' }>;
export type JoinNode = Extract<WorkflowNode, { kind: 'join' }>;
export type RouterNode = Extract<WorkflowNode, { kind: 'router' }>;
export type ApprovalNode = Extract<WorkflowNode, { kind: 'approval' }>;
export type DelayNode = Extract<WorkflowNode, { kind: 'delay' }>;
export type SetContextNode = Extract<WorkflowNode, { kind: 'setContext' }>;
export type EndNode = Extract<WorkflowNode, { kind: 'end' }>;
export type NodeOfKind<K extends NodeKind> = Extract<WorkflowNode, { kind: K }>;

export const WorkflowEdge = z
  .object({
    id: z.string().min(1).max(128),
    source: NodeId,
    target: NodeId,
    /** The source handle; absent means `default`. See the file header for the names per kind. */
    sourceHandle: z.string().max(64).optional(),
    label: z.string().max(200).optional(),
  })
  .strict();
export type WorkflowEdge = z.infer<typeof WorkflowEdge>;

export const FORMAT_VERSION = 1;

export const WorkflowDocument = z
  .object({
    formatVersion: z.literal(FORMAT_VERSION),
    nodes: z.array(WorkflowNode).max(1000),
    edges: z.array(WorkflowEdge).max(5000),
  })
  .strict();
export type WorkflowDocument = z.infer<typeof WorkflowDocument>;
/** What a document may look like before defaults are applied (imports, API bodies, designer output). */
export type WorkflowDocumentInput = z.input<typeof WorkflowDocument>;

export const WORKFLOW_SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/** The handle an edge leaves its source by: `default` when unnamed. */
export function edgeHandle(edge: Pick<WorkflowEdge, 'sourceHandle'> | { sourceHandle?: string | null }): string {
  return edge.sourceHandle ?? DEFAULT_HANDLE;
}

/** Every output handle a node has, in display order (a router: its routes, then `default`). */
export function outputHandles(node: WorkflowNode): string[] {
  if (node.kind === 'router') return [...node.config.routes.map((r) => r.id), DEFAULT_HANDLE];
  return [...KIND_META[node.kind].outputs];
}

/** The handles a node continues by on success: what `node.dead_end` looks for. */
export function successHandles(node: WorkflowNode): string[] {
  switch (node.kind) {
    case 'agent':
    case 'join':
      return [DEFAULT_HANDLE];
    case 'approval':
      return ['approved'];
    default:
      return outputHandles(node);
  }
}

/** A new node of `kind` with a fresh copy of its default config. */
export function createNode<K extends NodeKind>(kind: K, id: string, position: Position = { x: 0, y: 0 }, label?: string): NodeOfKind<K> {
  return WorkflowNode.parse({ id, kind, position, config: structuredClone(KIND_DEFAULTS[kind]), ...(label !== undefined && { label }) }) as NodeOfKind<K>;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * The one place a human duration becomes milliseconds (UI and API edges only; documents store numbers).
 * Accepts a number of ms, a digit string (ms), or unit terms `250ms`, `30s`, `5m`, `2h`, `1d`, also combined
 * (`1h30m`) and decimal (`1.5s`). The result is a whole number of ms in 0..MAX_DURATION_MS.
 * @throws ValidationError `duration.invalid` on anything else.
 * @example parseDuration('1m30s') === 90_000
 */
export function parseDuration(input: string | number): number {
  const fail = (why: string): never => {
    throw new ValidationError('duration.invalid', `Invalid duration ${JSON.stringify(input)}: ${why}`, { input });
  };
  let ms: number;
  if (typeof input === 'number') ms = input;
  else {
    const s = input.trim().toLowerCase();
    if (s.length === 0 || s.length > 64) return fail('expected e.g. 250ms, 30s, 5m, 2h, 1d');
    if (/^\d+$/.test(s)) ms = Number(s);
    else {
      const term = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/y;
      ms = 0;
      let at = 0;
      while (at < s.length) {
        term.lastIndex = at;
        const m = term.exec(s);
        if (!m) return fail('expected e.g. 250ms, 30s, 5m, 2h, 1d');
        ms += Number(m[1]) * DURATION_UNITS[m[2]!]!;
        at = term.lastIndex;
        while (s[at] === ' ') at++;
      }
    }
  }
  if (!Number.isFinite(ms) || ms < 0) return fail('must be a non-negative number');
  if (!Number.isInteger(ms)) return fail('must be a whole number of milliseconds');
  if (ms > MAX_DURATION_MS) return fail('longer than 365 days');
  return ms;
}

/** Formats ms for people: `90000` → `1m30s`, `250` → `250ms`. Inverse of `parseDuration` for whole units. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
