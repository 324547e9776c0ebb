/**
 * Agents: what Spine calls to do a task. The registry resolves an agent id to its adapter (`builtin`:
 * in-process demo behaviours, `http`: a signed webhook through the outbound guard, `openai`: an LLM on any
 * OpenAI-compatible endpoint, which may call other agents as tools; `sdk`: an outside process on the task board;
 * `a2a`: a remote agent speaking Agent2Agent, registered by its Agent Card URL); the store keeps the
 * agents' records and every version with their secrets sealed; registration registers, changes and removes
 * agents and records each as an event (`agent.registered`, `agent.changed`, `agent.removed`). Callers
 * import from `@/server/agents`.
 *
 * @example
 * const reg = createAgentRegistration({ store: engine.agentStore, registry: engine.agents, spine });
 * await reg.register({ name: 'triage', kind: 'http', config: { url: 'https://agents.example/triage' } }, { kind: 'user', name: 'ada' });
 */
export { AGENT_KINDS, AgentReply, traceHeaders, type AgentKind, type AgentRecord, type AgentTask, type TraceContext, type AgentAdapter, type AgentLimits, type AgentUsage, type AgentTools, type AgentProgress, type AgentQuestion, type ToolSpec, type ToolCall } from './adapter';
export { AgentRegistry } from './registry';
export { createAgentStore, redactConfig, publicAgent, REDACTED, type AgentStore, type RegisteredAgent, type PublicAgent, type AgentVersionView } from './store';
export { AgentDefinition, AgentPatch, AgentName, checkJsonSchema, checkAgentOutput, OutputContractError, validatorsOf, schemaErrorsText, type AgentDefinitionInput } from './schemas';
export { createAgentRegistration, type AgentRegistration } from './registration';
export { NonRetryableAgentError, RetryAfterError, isNonRetryable, retryAfterOf, usageOf } from './errors';
export { BuiltinAdapter, BuiltinConfig } from './builtin/builtinAdapter';
export { BUILTIN_BEHAVIOURS, hotel, type BuiltinBehaviour } from './builtin/agents';
export { HttpAdapter, HttpConfig, MAX_RESPONSE_BYTES } from './http/httpAdapter';
export { OpenAiAdapter } from './openai/openAiAdapter';
export { OpenAiAgentConfig, OPENAI_OUTPUT_MODES, type OpenAiOutputMode } from './openai/config';
export { renderPrompt } from './openai/prompt';
export { A2aAdapter, A2aConfig, fetchAgentCard, skillsOf as a2aSkillsOf, guardedFetch } from './a2a/a2aAdapter';
export { SdkAdapter, SdkConfig, DEFAULT_LEASE_MS, type SdkTask } from './sdk/sdkAdapter';
export { TaskBoard, LeaseExpiredError, type ClaimedTask } from './sdk/board';
export { createLeaseStore, createSqliteLeaseStore, LEASE_STATUSES, type LeaseStore, type LeaseRow, type LeaseStatus, type LeaseOutcome } from './sdk/store';
export { agentKeys, AgentKeyInput } from './sdk/agentKeys';
