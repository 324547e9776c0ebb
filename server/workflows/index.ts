/**
 * Workflows as documents: the store (drafts, published versions), the library the designer lists (with
 * draft and run counts), and the demo templates. The document schema, its validation and the expression
 * language (`./schema`, `./validate`, `./expressions`) are isomorphic leaves the browser imports directly.
 * Callers import from `@/server/workflows`.
 */
export { createWorkflowStore, triggerTypeOf, WorkflowCreate, type WorkflowStore, type WorkflowSummary, type WorkflowDetail } from './store';
export { createArchiveStates, type ArchiveStates, type ArchiveState } from './archiveStates';
export { createWorkflowLibrary, type WorkflowLibrary, type WorkflowOverview, type DraftStatus, type ChangedBy } from './library';
export { DEMO_TEMPLATES, LLM_LEGAL_AGENTS, type DemoTemplate } from './templates';
