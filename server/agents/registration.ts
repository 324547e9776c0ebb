/**
 * Registering, changing and removing agents: what the `/agents` page, `/api/v1/agents` and tRPC `agents.*`
 * call. Each call parses the definition (400 with the field and the reason: a malformed field, an unknown
 * kind, a config its kind's adapter refuses, a schema that is not JSON Schema), writes it through the store,
 * and then appends one event, before the call answers (an append that fails fails the call):
 *
 * - `agent.registered` `{ name, kind, version, description, capabilities, limits, hasInputSchema, hasOutputSchema, sideEffects }`
 * - `agent.changed` `{ name, kind, version, previousVersion, changed: [field...] }`
 * - `agent.removed` `{ name, version }`
 *
 * with key `agent:<name>` and source the caller's principal (a person as `user`, a key as `apiKey`).
 * Payloads never hold the config: secrets stay in the database, sealed. Nothing is written when parsing
 * fails. The process's registry is refreshed after each change, so its next dispatch uses the new version.
 */
import type { z } from 'zod';
import { ConflictError, ValidationError } from '@/server/errors';
import { breakingChanges, type FieldReader } from '@/server/contracts';
import { sourceOf, type Json, type Principal, type Spine } from '@/server/spine';
import type { AgentKind } from './adapter';
import type { AgentRegistry } from './registry';
import { AgentDefinition, AgentPatch, checkJsonSchema, type AgentDefinitionInput } from './schemas';
import { definitionOf, keepRedactedSecrets, publicAgent, type AgentStore, type PublicAgent } from './store';

const keyOf = (name: string) => `agent:${name}`;

function describeZod(prefix: string, e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return `${prefix}: invalid`;
  const at = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
  return at ? `${at}: ${i.message}` : i.message;
}

function parse<T>(schema: z.ZodType<T>, raw: unknown, code: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ValidationError(code, describeZod('', r.error), { issues: r.error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String), message: i.message })) });
  return r.data;
}

/**
 * `outputReaders`: the published workflows' expressions reading an agent's output (the engine service's
 * `agentOutputReaders`). With it, a change of the output schema that removes or retypes a field one of them
 * reads is refused with 409 `agent.schema_breaking` (`details.breaking` names each place) unless `force`.
 */
/** A change's body without its `force` flag. */
function forceOf(raw: unknown): { force: boolean; body: unknown } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('force' in raw)) return { force: false, body: raw };
  const { force, ...body } = raw as Record<string, unknown>;
  if (typeof force !== 'boolean') throw new ValidationError('agent.invalid', 'force: expected a boolean');
  return { force, body };
}

export function createAgentRegistration(deps: { store: AgentStore; registry: AgentRegistry; spine: Spine; outputReaders?: (agent: string) => Promise<FieldReader[]> }) {
  const { store, registry, spine } = deps;

  /** The kind-specific and schema checks every stored definition passes. */
  async function check(d: AgentDefinition): Promise<AgentDefinition> {
    const adapter = registry.adapterFor(d.kind as AgentKind);
    if (!adapter) throw new ValidationError('agent.unknown_kind', `No adapter for agent kind '${d.kind}' in this Spine`, { kind: d.kind });
    if (adapter.configSchema) {
      const r = adapter.configSchema.safeParse(d.config);
      if (!r.success) throw new ValidationError('agent.invalid_config', describeZod('config', r.error), { kind: d.kind, issues: r.error.issues.slice(0, 5).map((i) => ({ path: ['config', ...i.path.map(String)], message: i.message })) });
    }
    checkJsonSchema('inputSchema', d.inputSchema);
    checkJsonSchema('outputSchema', d.outputSchema);
    return adapter.prepareConfig ? { ...d, config: await adapter.prepareConfig(d.config) } : d;
  }

  async function record(type: 'agent.registered' | 'agent.changed' | 'agent.removed', by: Principal, name: string, version: number, payload: Record<string, Json>, tag: string) {
    await spine.append([{ type, key: keyOf(name), source: sourceOf(by), idempotencyKey: `agent:${name}:${tag}`, payload: { name, version, ...payload } }]);
    await registry.refresh();
  }

  return {
    /** Registers an agent (version 1, or the next version of a removed one); `agent.registered`. */
    async register(raw: unknown, by: Principal): Promise<PublicAgent> {
      const d = await check(parse(AgentDefinition, raw, 'agent.invalid'));
      const a = await store.create(d, by.name);
      await record('agent.registered', by, a.name, a.version, {
        kind: a.kind, description: a.description, capabilities: a.capabilities, limits: a.limits as Json, hasInputSchema: a.inputSchema !== null, hasOutputSchema: a.outputSchema !== null, sideEffects: a.sideEffects,
      }, `v${a.version}:registered`);
      return publicAgent(a);
    },

    /**
     * Changes an agent (a new version when kind, config, schemas or limits change); `agent.changed`. Nothing
     * changed: no event. A body's `force: true` registers an output schema that breaks a published reader.
     */
    async change(name: string, raw: unknown, by: Principal): Promise<PublicAgent> {
      const { force, body } = forceOf(raw);
      const patch = parse(AgentPatch, body, 'agent.invalid');
      const before = await store.get(name);
      if (before.removedAt) throw new ValidationError('agent.removed', `Agent '${name}' was removed; register it again to bring it back`, { name });
      const prev = definitionOf(before);
      const config = patch.config === undefined ? prev.config : keepRedactedSecrets(patch.config as Record<string, Json>, prev.config);
      const next = await check(AgentDefinition.parse({ ...prev, ...patch, name, config }));
      if (deps.outputReaders && !force && JSON.stringify(next.outputSchema) !== JSON.stringify(prev.outputSchema) && prev.outputSchema !== null) {
        // No schema after the change reads as "anything": nothing declared is removed or retyped by it.
        const breaking = breakingChanges(prev.outputSchema as Json, (next.outputSchema ?? true) as Json, await deps.outputReaders(name));
        if (breaking.length > 0)
          throw new ConflictError('agent.schema_breaking', `The new output schema of '${name}' breaks ${breaking.length} place(s) that read it: ${breaking.slice(0, 3).map((b) => b.message).join('; ')}${breaking.length > 3 ? '; …' : ''}. Send force: true to change it anyway`, { name, breaking });
      }
      const { agent: a, changed, newVersion } = await store.update(before, next, by.name);
      if (changed.length > 0)
        await record('agent.changed', by, name, a.version, { kind: a.kind, previousVersion: before.version, changed, newVersion }, newVersion ? `v${a.version}:changed` : `v${a.version}:changed:${a.updatedAt}`);
      return publicAgent(a);
    },

    /** Removes an agent (soft; past runs still show it, publish refuses workflows that use it); `agent.removed`. */
    async remove(name: string, by: Principal): Promise<PublicAgent> {
      const a = await store.remove(name);
      await record('agent.removed', by, name, a.version, {}, `v${a.version}:removed:${a.removedAt}`);
      return publicAgent(a);
    },
  };
}
export type AgentRegistration = ReturnType<typeof createAgentRegistration>;

/** A definition as the form sends it, for callers that build one in code. */
export type { AgentDefinitionInput };
