/**
 * The demo: the seed (agents, templates as workflows, sample runs) and the publisher that keeps a fresh
 * database busy with cases. Callers import from `@/server/demo`.
 */
export { seedDemo, type LlmEndpoint } from './seed';
export { startDemo, type Demo } from './publisher';
