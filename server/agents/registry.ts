/**
 * The agent registry: resolves an agent name to its record and the adapter of its kind. Records are
 * cached (the dispatcher resolves on every task) and refreshed when agents change.
 */
import { NotFoundError } from '@/server/errors';
import type { AgentAdapter, AgentKind, AgentRecord } from './adapter';
import { BuiltinAdapter } from './builtin/builtinAdapter';
import { HttpAdapter } from './http/httpAdapter';
import { OpenAiAdapter } from './openai/openAiAdapter';
import type { AgentStore } from './store';

export class AgentRegistry {
  private cache = new Map<string, AgentRecord>();
  private loaded?: Promise<void>;
  private readonly adapters: Map<AgentKind, AgentAdapter>;

  constructor(private readonly store: AgentStore, adapters: AgentAdapter[] = [new BuiltinAdapter(), new HttpAdapter(), new OpenAiAdapter()]) {
    this.adapters = new Map(adapters.map((a) => [a.kind, a]));
  }

  async names(): Promise<Set<string>> {
    await this.load();
    return new Set(this.cache.keys());
  }

  async resolve(name: string): Promise<{ agent: AgentRecord; adapter: AgentAdapter }> {
    await this.load();
    let agent = this.cache.get(name);
    if (!agent) {
      agent = await this.store.get(name).catch(() => undefined);
      if (agent) this.cache.set(name, agent);
    }
    if (!agent) throw new NotFoundError('agent.not_found', `No agent '${name}'`, { name });
    const adapter = this.adapters.get(agent.kind);
    if (!adapter) throw new NotFoundError('agent.no_adapter', `No adapter for agent kind '${agent.kind}'`, { name });
    return { agent, adapter };
  }

  /** The cached record, without waiting (undefined until the registry has loaded). */
  peek(name: string): AgentRecord | undefined {
    return this.cache.get(name);
  }

  /** The builtin adapter, for inline execution. */
  get builtin(): BuiltinAdapter {
    return this.adapters.get('builtin') as BuiltinAdapter;
  }

  invalidate() {
    this.loaded = undefined;
    this.cache.clear();
  }

  private load(): Promise<void> {
    this.loaded ??= this.store.list().then((all) => {
      this.cache = new Map(all.map((a) => [a.name, a]));
    });
    return this.loaded;
  }
}
