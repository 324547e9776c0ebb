/**
 * Registered agents, stored with Prisma. Explicit selects: config may hold secrets later, so callers that
 * show agents to people use `agentPublicSelect`.
 */
import { z } from 'zod';
import type { Db } from '@/server/db';
import { ConflictError, NotFoundError } from '@/server/errors';
import { Json, type Json as JsonValue } from '@/server/spine/events';
import { AGENT_KINDS, type AgentRecord } from './adapter';
import { SECRET_FIELDS, isSealed, open, seal } from '@/server/auth';

/** Secret fields are sealed before they reach the database (server/auth/secretBox.ts). */
function sealConfig(config: Record<string, JsonValue>): string {
  const out: Record<string, unknown> = { ...config };
  for (const f of SECRET_FIELDS) if (typeof out[f] === 'string') out[f] = seal(out[f] as string);
  return JSON.stringify(out);
}

function openConfig(text: string): Record<string, JsonValue> {
  const cfg = JSON.parse(text) as Record<string, JsonValue>;
  for (const f of SECRET_FIELDS) if (isSealed(cfg[f])) cfg[f] = open(cfg[f] as { $enc: string });
  return cfg;
}

/** The config as people may see it: secrets replaced by a marker. */
export function redactConfig(config: Record<string, JsonValue>): Record<string, JsonValue> {
  const out = { ...config };
  for (const f of SECRET_FIELDS) if (f in out) out[f] = '••••••';
  return out;
}

export const AgentInput = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'agent names are lower-case letters, digits and dashes'),
    kind: z.enum(AGENT_KINDS),
    description: z.string().max(1000).default(''),
    config: z.record(z.string(), Json).default({}),
  })
  .strict();
export type AgentInput = z.input<typeof AgentInput>;

export function createAgentStore(db: Db) {
  const toRecord = (r: { name: string; kind: string; description: string; config: string }): AgentRecord => ({
    name: r.name,
    kind: r.kind as AgentRecord['kind'],
    description: r.description,
    config: openConfig(r.config),
  });
  return {
    async list(): Promise<AgentRecord[]> {
      return (await db.agent.findMany({ orderBy: { name: 'asc' } })).map(toRecord);
    },
    async get(name: string): Promise<AgentRecord> {
      const r = await db.agent.findUnique({ where: { name } });
      if (!r) throw new NotFoundError('agent.not_found', `No agent '${name}'`, { name });
      return toRecord(r);
    },
    async create(raw: AgentInput): Promise<AgentRecord> {
      const a = AgentInput.parse(raw);
      if (await db.agent.findUnique({ where: { name: a.name } })) throw new ConflictError('agent.exists', `Agent '${a.name}' exists`, { name: a.name });
      return toRecord(await db.agent.create({ data: { ...a, config: sealConfig(a.config) } }));
    },
    /** Creates or replaces (seeding, tests). */
    async upsert(raw: AgentInput): Promise<AgentRecord> {
      const a = AgentInput.parse(raw);
      const data = { kind: a.kind, description: a.description, config: sealConfig(a.config) };
      return toRecord(await db.agent.upsert({ where: { name: a.name }, create: { name: a.name, ...data }, update: data }));
    },
  };
}
export type AgentStore = ReturnType<typeof createAgentStore>;
