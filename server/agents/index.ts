/**
 * Agents: what Spine calls to do a task. The registry resolves an agent id to its adapter (`builtin`:
 * in-process demo behaviours, `http`: a signed webhook through the outbound guard, `openai`: an LLM on any
 * OpenAI-compatible endpoint, which may call other agents as tools); the store keeps the
 * agents' records with their secrets sealed. Callers import from `@/server/agents`.
 */
export { AGENT_KINDS, AgentReply, type AgentKind, type AgentRecord, type AgentTask, type AgentAdapter, type AgentUsage, type AgentTools, type ToolSpec, type ToolCall } from './adapter';
export { AgentRegistry } from './registry';
export { createAgentStore, redactConfig, AgentInput, type AgentStore } from './store';
export { NonRetryableAgentError, RetryAfterError, isNonRetryable, retryAfterOf } from './errors';
export { BuiltinAdapter } from './builtin/builtinAdapter';
export { BUILTIN_BEHAVIOURS, hotel, type BuiltinBehaviour } from './builtin/agents';
export { HttpAdapter, MAX_RESPONSE_BYTES } from './http/httpAdapter';
export { OpenAiAdapter } from './openai/openAiAdapter';
export { OpenAiAgentConfig, OPENAI_OUTPUT_MODES, type OpenAiOutputMode } from './openai/config';
export { renderPrompt } from './openai/prompt';
