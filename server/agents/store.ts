/**
 * Registered agents and their versions, stored with Prisma. The `agents` row is an agent's current version;
 * `agent_versions` keeps every version (the first included) as the record was, with who made it and when.
 *
 * Guarantees:
 * - secrets are sealed before they reach the database: every field named in SECRET_FIELDS, at any depth of
 *   the config (an `Authorization` header too), in the row and in every version. People only ever see
 *   `redactConfig`'s marker; the dispatcher gets them back (`get`, `list`);
 * - a change of kind, config, schemas or limits makes a new version (n+1, in the same transaction as the
 *   row); a description, capability or side-effects flag change is made in place. Two concurrent changes cannot both make
 *   version n+1: the (agent, version) key refuses the second (409 `agent.conflict`);
 * - removing is soft (`removedAt`): a removed agent is not listed to the registry (publish refuses
 *   workflows that use it) but `get` and `versions` still answer, so past runs show it. Registering the
 *   same name again brings it back as its next version.
 *
 * Inputs here are already parsed (registration.ts parses, checks and records the events).
 */
import type { Db } from '@/server/db';
import { ConflictError, NotFoundError } from '@/server/errors';
import { type Json as JsonValue } from '@/server/spine/events';
import { SECRET_FIELDS, isSealed, open, seal } from '@/server/auth';
import type { AgentRecord } from './adapter';
import { AgentDefinition, VERSIONED_FIELDS, type AgentDefinitionInput, type AgentLimits } from './schemas';

/** What people see in place of a secret; sent back in a change, it keeps the stored secret. */
export const REDACTED = '••••••';

const SECRET_KEYS = new Set<string>(SECRET_FIELDS.map((f) => f.toLowerCase()));
const isSecretKey = (k: string) => SECRET_KEYS.has(k.toLowerCase());
type JsonObject = Record<string, JsonValue>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rewrites the value of every secret field, at any depth, with `fn` (undefined drops the field). */
function mapSecrets(v: JsonObject, fn: (value: JsonValue, previous: JsonValue | undefined) => JsonValue | undefined, prev?: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (isSecretKey(k)) {
      const r = fn(x, prev?.[k]);
      if (r !== undefined) out[k] = r;
    } else if (isObject(x)) out[k] = mapSecrets(x, fn, isObject(prev?.[k]) ? (prev![k] as JsonObject) : undefined);
    else if (Array.isArray(x)) out[k] = x.map((item, i) => (isObject(item) ? mapSecrets(item, fn, previousItem(prev?.[k], item, i)) : item));
    else out[k] = x;
  }
  return out;
}

/**
 * The stored item a changed list item is compared with (to keep a redacted secret): the one of the same
 * `name` when items are named (an MCP server list reordered or shortened keeps each server's own secret),
 * else the one at the same index.
 */
function previousItem(prev: JsonValue | undefined, item: JsonObject, i: number): JsonObject | undefined {
  if (!Array.isArray(prev)) return undefined;
  const found = typeof item.name === 'string' ? prev.find((p) => isObject(p) && p.name === item.name) : prev[i];
  return isObject(found) ? found : undefined;
}

function sealConfig(config: JsonObject): JsonObject {
  return mapSecrets(config, (x) => (typeof x === 'string' ? (seal(x) as unknown as JsonValue) : x));
}

function openConfig(cfg: JsonObject): JsonObject {
  return mapSecrets(cfg, (x) => (isSealed(x) ? open(x as { $enc: string }) : x));
}

/** The config as people may see it: every secret replaced by the marker. */
export function redactConfig(config: JsonObject): JsonObject {
  return mapSecrets(config, () => REDACTED);
}

/** A config sent back by a person: where it holds the marker, the stored secret stays; a marker with nothing behind it is dropped. */
export function keepRedactedSecrets(next: JsonObject, stored: JsonObject): JsonObject {
  return mapSecrets(next, (x, prev) => (x === REDACTED ? (typeof prev === 'string' ? prev : undefined) : x), stored);
}

/** A declared JSON Schema (object or boolean schema), or none. */
export type JsonSchemaValue = Record<string, JsonValue> | boolean | null;

/** A registered agent as the store holds it (secrets open: for the dispatcher, never for people). */
export type RegisteredAgent = AgentRecord & {
  version: number;
  capabilities: string[];
  inputSchema: JsonSchemaValue;
  outputSchema: JsonSchemaValue;
  limits: AgentLimits;
  sideEffects: boolean;
  removedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

/** One version as people see it (config redacted). */
export type AgentVersionView = {
  version: number;
  createdBy: string;
  createdAt: string;
  record: { kind: string; description: string; capabilities: string[]; config: JsonObject; inputSchema: JsonSchemaValue; outputSchema: JsonSchemaValue; limits: AgentLimits };
};

/** The agent as people see it: the config redacted, no secret in it at any depth. */
export function publicAgent(a: RegisteredAgent) {
  return {
    name: a.name, kind: a.kind, description: a.description, capabilities: a.capabilities, inputSchema: a.inputSchema, outputSchema: a.outputSchema,
    config: redactConfig(a.config), limits: a.limits, sideEffects: a.sideEffects, version: a.version, removed: a.removedAt !== null, removedAt: a.removedAt, createdAt: a.createdAt, updatedAt: a.updatedAt,
  };
}
export type PublicAgent = ReturnType<typeof publicAgent>;

type Row = { name: string; kind: string; description: string; config: string; inputSchema: string | null; outputSchema: string | null; capabilities: string; limits: string; sideEffects: boolean; version: number; removedAt: Date | null; createdAt: Date; updatedAt: Date };

const parseOr = <T>(text: string | null, fallback: T): T => (text === null ? fallback : (JSON.parse(text) as T));

function toRecord(r: Row): RegisteredAgent {
  return {
    name: r.name,
    kind: r.kind as AgentRecord['kind'],
    description: r.description,
    config: openConfig(JSON.parse(r.config) as JsonObject),
    version: r.version,
    capabilities: parseOr(r.capabilities, []),
    inputSchema: parseOr(r.inputSchema, null),
    outputSchema: parseOr(r.outputSchema, null),
    limits: parseOr(r.limits, {}),
    sideEffects: r.sideEffects,
    removedAt: r.removedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The columns of a definition (config sealed). */
function columnsOf(d: AgentDefinition) {
  return {
    kind: d.kind, description: d.description, config: JSON.stringify(sealConfig(d.config)), capabilities: JSON.stringify(d.capabilities),
    inputSchema: d.inputSchema === null ? null : JSON.stringify(d.inputSchema), outputSchema: d.outputSchema === null ? null : JSON.stringify(d.outputSchema), limits: JSON.stringify(d.limits),
    sideEffects: d.sideEffects,
  };
}

/** What a version row records: the definition but the name, config sealed. */
function versionRecord(d: AgentDefinition): string {
  const { name: _name, ...rest } = d;
  return JSON.stringify({ ...rest, config: sealConfig(d.config) });
}

/** A stable text of a value (sorted keys): equal definitions give equal text whatever the key order. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

/** The definition a stored agent amounts to. */
export function definitionOf(a: RegisteredAgent): AgentDefinition {
  return { name: a.name, kind: a.kind, description: a.description, capabilities: a.capabilities, inputSchema: a.inputSchema, outputSchema: a.outputSchema, config: a.config, limits: a.limits, sideEffects: a.sideEffects };
}

/** Which of the versioned fields differ between two definitions. */
export function versionedChanges(before: AgentDefinition, after: AgentDefinition): (typeof VERSIONED_FIELDS)[number][] {
  return VERSIONED_FIELDS.filter((f) => stable(before[f]) !== stable(after[f]));
}

const isUniqueViolation = (e: unknown) => (e as { code?: unknown })?.code === 'P2002' || /unique|duplicate key/i.test(String((e as Error)?.message));

export function createAgentStore(db: Db) {
  const row = (name: string) => db.agent.findUnique({ where: { name } });
  return {
    /** Agents the registry resolves: not removed, by name (`includeRemoved` for the registry page). */
    async list(opts: { includeRemoved?: boolean } = {}): Promise<RegisteredAgent[]> {
      return (await db.agent.findMany({ where: opts.includeRemoved ? {} : { removedAt: null }, orderBy: { name: 'asc' } })).map(toRecord);
    },
    /** The agent, removed or not (past runs show removed ones). */
    async get(name: string): Promise<RegisteredAgent> {
      const r = await row(name);
      if (!r) throw new NotFoundError('agent.not_found', `No agent '${name}'`, { name });
      return toRecord(r);
    },
    /** Registers a new agent as version 1 (or a removed one again, as its next version). */
    async create(d: AgentDefinition, by: string): Promise<RegisteredAgent> {
      const existing = await row(d.name);
      if (existing && !existing.removedAt) throw new ConflictError('agent.exists', `Agent '${d.name}' exists`, { name: d.name });
      const version = existing ? existing.version + 1 : 1;
      const data = { ...columnsOf(d), version, removedAt: null };
      try {
        const [saved] = await db.$transaction([
          existing ? db.agent.update({ where: { name: d.name }, data }) : db.agent.create({ data: { name: d.name, ...data } }),
          db.agentVersion.create({ data: { agentName: d.name, version, record: versionRecord(d), createdBy: by } }),
        ]);
        return toRecord(saved);
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError('agent.exists', `Agent '${d.name}' exists`, { name: d.name });
        throw e;
      }
    },
    /**
     * Replaces the definition of `before` (the version the change was judged on) with `d`. A new version when
     * a versioned field changed; refused (409) when someone else made that version first.
     */
    async update(before: RegisteredAgent, d: AgentDefinition, by: string): Promise<{ agent: RegisteredAgent; changed: string[]; newVersion: boolean }> {
      const prev = definitionOf(before);
      const versioned = versionedChanges(prev, d);
      const changed = [...versioned, ...(['description', 'capabilities', 'sideEffects'] as const).filter((f) => stable(prev[f]) !== stable(d[f]))];
      if (versioned.length === 0) {
        const saved = await db.agent.update({ where: { name: d.name }, data: { description: d.description, capabilities: JSON.stringify(d.capabilities), sideEffects: d.sideEffects } });
        return { agent: toRecord(saved), changed, newVersion: false };
      }
      const version = before.version + 1;
      try {
        const [saved] = await db.$transaction([
          db.agent.update({ where: { name: d.name }, data: { ...columnsOf(d), version } }),
          db.agentVersion.create({ data: { agentName: d.name, version, record: versionRecord(d), createdBy: by } }),
        ]);
        return { agent: toRecord(saved), changed, newVersion: true };
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError('agent.conflict', `Agent '${d.name}' was changed by someone else at the same time; reload and try again`, { name: d.name, version });
        throw e;
      }
    },
    /** Marks the agent removed (soft). */
    async remove(name: string): Promise<RegisteredAgent> {
      const r = await row(name);
      if (!r || r.removedAt) throw new NotFoundError('agent.not_found', r ? `Agent '${name}' was removed already` : `No agent '${name}'`, { name });
      return toRecord(await db.agent.update({ where: { name }, data: { removedAt: new Date() } }));
    },
    /** The agent as it was at `version` (secrets opened, for calling it), or undefined if it never had it. */
    async atVersion(name: string, version: number): Promise<AgentRecord | undefined> {
      const v = await db.agentVersion.findUnique({ where: { agentName_version: { agentName: name, version } } });
      if (!v) return undefined;
      const rec = JSON.parse(v.record) as AgentVersionView['record'];
      return { name, kind: rec.kind as AgentRecord['kind'], description: rec.description, config: openConfig(rec.config), version, capabilities: rec.capabilities, inputSchema: rec.inputSchema, outputSchema: rec.outputSchema, limits: rec.limits };
    },
    /** Every version, newest first, as people may see them (config redacted). */
    async versions(name: string): Promise<AgentVersionView[]> {
      if (!(await row(name))) throw new NotFoundError('agent.not_found', `No agent '${name}'`, { name });
      const rows = await db.agentVersion.findMany({ where: { agentName: name }, orderBy: { version: 'desc' } });
      return rows.map((v) => {
        const rec = JSON.parse(v.record) as AgentVersionView['record'];
        return { version: v.version, createdBy: v.createdBy, createdAt: v.createdAt.toISOString(), record: { ...rec, config: redactConfig(openConfig(rec.config)) } };
      });
    },
    /** Creates or replaces (seeding, tests); trusted input, recorded as a version when it changes one. */
    async upsert(raw: AgentDefinitionInput, by = 'seed'): Promise<RegisteredAgent> {
      const d = AgentDefinition.parse(raw);
      const existing = await row(d.name);
      if (!existing || existing.removedAt) return this.create(d, by);
      return (await this.update(toRecord(existing), d, by)).agent;
    },
  };
}
export type AgentStore = ReturnType<typeof createAgentStore>;
