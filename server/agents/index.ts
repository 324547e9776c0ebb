/**
 * Agents: what Spine calls to do a task. The registry resolves an agent id to its adapter (`builtin`:
 * in-process demo behaviours, `http`: a signed webhook through the outbound guard); the store keeps the
 * agents' records with their secrets sealed. Callers import from `@/server/agents`.
 */
export { AGENT_KINDS, type AgentKind, type AgentRecord, type AgentTask, type AgentAdapter } from './adapter';
export { AgentRegistry } from './registry';
export { createAgentStore, redactConfig, AgentInput, type AgentStore } from './store';
export { NonRetryableAgentError, RetryAfterError, isNonRetryable, retryAfterOf } from './errors';
export { BuiltinAdapter } from './builtin/builtinAdapter';
export { BUILTIN_BEHAVIOURS, hotel, type BuiltinBehaviour } from './builtin/agents';
export { HttpAdapter, MAX_RESPONSE_BYTES } from './http/httpAdapter';
export { SdkAdapter, SdkConfig, DEFAULT_LEASE_MS, type SdkTask } from './sdk/sdkAdapter';
export { TaskBoard, LeaseExpiredError, type ClaimedTask } from './sdk/board';
export { createLeaseStore, createSqliteLeaseStore, LEASE_STATUSES, type LeaseStore, type LeaseRow, type LeaseStatus, type LeaseOutcome } from './sdk/store';
export { agentKeys, AgentKeyInput } from './sdk/agentKeys';
