/**
 * The agent registry: resolves an agent name to its record and the adapter of its kind. Records are
 * cached (the dispatcher resolves on every task) and refreshed when agents change (registration.ts calls
 * `refresh` after every change it makes in this process). Removed agents do not resolve.
 *
 * A tool name `mcp:<agent>:<server>:<tool>` resolves to that MCP tool of the agent's config (an LLM agent's
 * MCP tools are called through the engine's AgentTools like Spine agents, so each call is recorded the
 * same way; server/agents/openai/mcpTools.ts).
 */
import { NotFoundError } from '@/server/errors';
import type { AgentAdapter, AgentKind, AgentRecord } from './adapter';
import { BuiltinAdapter } from './builtin/builtinAdapter';
import { HttpAdapter } from './http/httpAdapter';
import { OpenAiAdapter } from './openai/openAiAdapter';
import { parseMcpToolName, resolveMcpTool } from './openai/mcpTools';
import type { AgentStore } from './store';

export class AgentRegistry {
  private cache = new Map<string, AgentRecord>();
  /** Past versions, by `name@version` (a version never changes once made). */
  private readonly versions = new Map<string, AgentRecord>();
  private loaded?: Promise<void>;
  private readonly adapters: Map<AgentKind, AgentAdapter>;

  constructor(private readonly store: AgentStore, adapters: AgentAdapter[] = [new BuiltinAdapter(), new HttpAdapter(), new OpenAiAdapter()]) {
    this.adapters = new Map(adapters.map((a) => [a.kind, a]));
  }

  /** Names of the registered (not removed) agents, read from the store (publish validates with the truth, not the cache), refreshing the cache. */
  async names(): Promise<Set<string>> {
    await this.refresh();
    return new Set(this.cache.keys());
  }

  /** Names of removed agents (publish names them in its refusal). */
  async removedNames(): Promise<Set<string>> {
    return new Set((await this.store.list({ includeRemoved: true })).filter((a) => a.removedAt).map((a) => a.name));
  }

  async resolve(name: string): Promise<{ agent: AgentRecord; adapter: AgentAdapter }> {
    const mcp = parseMcpToolName(name);
    if (mcp) return resolveMcpTool(mcp, (await this.resolve(mcp.agent)).agent);
    await this.load();
    let agent = this.cache.get(name);
    if (!agent) {
      const found = await this.store.get(name).catch(() => undefined);
      if (found?.removedAt) throw new NotFoundError('agent.not_found', `Agent '${name}' was removed from the registry`, { name });
      agent = found;
      if (agent) this.cache.set(name, agent);
    }
    if (!agent) throw new NotFoundError('agent.not_found', `No agent '${name}'`, { name });
    const adapter = this.adapters.get(agent.kind);
    if (!adapter) throw new NotFoundError('agent.no_adapter', `No adapter for agent kind '${agent.kind}'`, { name });
    return { agent, adapter };
  }

  /**
   * The agent at the version a task was dispatched with: the current record when it is that version, else
   * that version from the store (kept: versions never change). A version the store never had: not found.
   */
  async resolveVersion(name: string, version: number | undefined): Promise<{ agent: AgentRecord; adapter: AgentAdapter }> {
    const current = await this.resolve(name);
    if (version === undefined || current.agent.version === undefined || current.agent.version === version) return current;
    const key = `${name}@${version}`;
    let agent = this.versions.get(key);
    if (!agent) {
      agent = await this.store.atVersion(name, version);
      if (!agent) throw new NotFoundError('agent.not_found', `Agent '${name}' has no version ${version}`, { name, version });
      this.versions.set(key, agent);
    }
    const adapter = this.adapters.get(agent.kind);
    if (!adapter) throw new NotFoundError('agent.no_adapter', `No adapter for agent kind '${agent.kind}'`, { name });
    return { agent, adapter };
  }

  /** The cached record, without waiting (undefined until the registry has loaded). */
  peek(name: string): AgentRecord | undefined {
    return this.cache.get(name);
  }

  /** The adapter of a kind (its `configSchema` checks registrations), if this registry has one. */
  adapterFor(kind: AgentKind): AgentAdapter | undefined {
    return this.adapters.get(kind);
  }

  /** The builtin adapter, for inline execution. */
  get builtin(): BuiltinAdapter {
    return this.adapters.get('builtin') as BuiltinAdapter;
  }

  invalidate() {
    this.loaded = undefined;
    this.cache.clear();
  }

  /** Loads the records again; the old ones answer `peek` until the new ones are in (no gap for dispatches). */
  async refresh(): Promise<void> {
    const loading = this.store.list().then(
      (all) => {
        this.cache = new Map(all.map((a) => [a.name, a]));
      },
      (e: unknown) => {
        if (this.loaded === loading) this.loaded = undefined;
        throw e;
      },
    );
    this.loaded = loading;
    await loading;
  }

  private load(): Promise<void> {
    this.loaded ??= this.store.list().then((all) => {
      this.cache = new Map(all.map((a) => [a.name, a]));
    });
    return this.loaded;
  }
}
