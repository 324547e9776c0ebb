/**
 * The Agent Cards Spine serves (A2A 0.3): one per exposed workflow (`/api/a2a/{workflowId}/agent-card.json`,
 * its JSON-RPC endpoint beside it) and Spine's own (`/.well-known/agent-card.json`), which lists every
 * exposed workflow as a skill and is served at `/api/a2a` (the skill named in the message's
 * `metadata.skill`). Every card declares the one security scheme the endpoints check: a Spine API key as
 * a bearer token (a key allowed to start runs).
 */
import type { AgentCard, AgentSkill } from '@a2a-js/sdk';
import type { WorkflowSummary } from '@/server/workflows';

export const A2A_PROTOCOL_VERSION = '0.3.0';
/** The name of the security scheme every card declares. */
export const SPINE_API_KEY_SCHEME = 'spineApiKey';

const security = {
  securitySchemes: {
    [SPINE_API_KEY_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'Spine API key', description: 'A Spine API key allowed to start runs (Settings → API keys), sent as Authorization: Bearer <key>.' },
  },
  security: [{ [SPINE_API_KEY_SCHEME]: [] }],
} satisfies Pick<AgentCard, 'securitySchemes' | 'security'>;

const common = {
  protocolVersion: A2A_PROTOCOL_VERSION,
  capabilities: { streaming: true, pushNotifications: false, stateTransitionHistory: false },
  defaultInputModes: ['application/json', 'text/plain'],
  defaultOutputModes: ['application/json'],
  preferredTransport: 'JSONRPC',
  provider: { organization: 'Spine', url: 'https://github.com/spine' },
  ...security,
} satisfies Partial<AgentCard>;

/** The path of a workflow's JSON-RPC endpoint (its card is at `<path>/agent-card.json`). */
export const workflowEndpointPath = (workflowId: string) => `/api/a2a/${encodeURIComponent(workflowId)}`;

export function skillOf(w: WorkflowSummary): AgentSkill {
  return {
    id: w.slug, name: w.name, description: w.description || `Runs the Spine workflow '${w.name}' with the message's data part as its input.`,
    tags: ['spine-workflow'], inputModes: ['application/json', 'text/plain'], outputModes: ['application/json'],
  };
}

/** The card of one exposed workflow, at `origin`. */
export function workflowCard(w: WorkflowSummary, origin: string): AgentCard {
  return {
    ...common,
    name: w.name,
    description: w.description || `The Spine workflow '${w.name}': a message starts a run (its data part is the input), the task follows the run to its end.`,
    url: origin + workflowEndpointPath(w.id),
    version: String(w.publishedVersion ?? 0),
    skills: [skillOf(w)],
  };
}

/** Spine's own card: every exposed workflow as a skill, served at `/api/a2a` (the skill named in `metadata.skill`). */
export function spineCard(exposed: WorkflowSummary[], origin: string): AgentCard {
  return {
    ...common,
    name: 'Spine',
    description:
      'Spine, the coordination layer: each skill is a published workflow. Send a message to /api/a2a naming the skill id in metadata.skill (or to the ' +
      "skill's own endpoint /api/a2a/{workflowId}, card at /api/a2a/{workflowId}/agent-card.json); its data part is the run's input.",
    url: `${origin}/api/a2a`,
    version: '1',
    skills: exposed.map(skillOf),
    additionalInterfaces: [{ transport: 'JSONRPC', url: `${origin}/api/a2a` }],
  };
}
