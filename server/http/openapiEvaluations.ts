/**
 * The OpenAPI entries of evaluations (server/http/v1/evaluations.ts), merged into openapi.ts's document.
 * The start body is generated from the zod schema the service parses with.
 */
import { z } from 'zod';
import { StartEvaluationInput } from '@/server/evaluations';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]));
const param = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const VIEW =
  '{ id, workflowId, workflowName, agent, version, baseVersion, lastN, concurrency, allowSideEffects, status (running|completed|failed|interrupted), error, startedBy, startedAt, endedAt, ' +
  'rows: [{ origin, fork, state (compared|skipped|error|pending), reason?, originStatus, forkStatus, sameOutcome, changed: [nodeId], contractViolations: [{ nodeId, error }], tokens: { before, after }, latencyMs: { before, after } }], ' +
  'summary: { runs, compared, skipped, sameOutcome, differentOutcome, changed, brokeContract, failed, tokens: { before, after, delta }, latencyP50Ms: { before, after } }, decision: { kind (shipped|rolled_back), by, at, version } | null }';

export const evaluationPaths = {
  '/api/v1/workflows/{workflowId}/evaluations': {
    parameters: [param('workflowId')],
    post: {
      'x-spine-access': { kind: 'role', roles: ['operator', 'architect'] },
      summary: "Evaluate a candidate agent version on the workflow's last N completed runs (operator or architect)",
      description:
        'Each of the last `lastN` completed runs (forks left out) is forked at the event where `agent`\'s first task was dispatched: everything before is reused from the record, `agent` runs live at `version`, ' +
        'and agents flagged with side effects are answered from their recorded output (or fail `side_effect_blocked`) unless `allowSideEffects`; approvals the origin decided are decided again as they were. ' +
        'A fork that would ask a person (an approval its origin never decided) or does not end within 5 minutes is cancelled and reported `waiting` / `running`. At most `concurrency` forks run at once. ' +
        'Answers 202 at once; follow it with GET /api/v1/evaluations/{evaluationId}. Recorded as `evaluation.started`, `evaluation.run_compared` per run and `evaluation.completed`. ' +
        'Unknown workflow or agent: 404; unknown version, an agent the published workflow does not call, N or concurrency out of range, no completed run: 400; nothing is started then.',
      requestBody: { required: true, content: { 'application/json': { schema: schema(StartEvaluationInput) } } },
      responses: { '202': { description: '{ evaluationId, runs }' }, ...errors(400, 401, 403, 404, 413) },
    },
    get: { 'x-spine-access': { kind: 'read' }, summary: "The workflow's evaluations, newest first (without rows)", responses: { '200': { description: '{ evaluations: [...] }' }, ...errors(401, 404) } },
  },
  '/api/v1/evaluations/{evaluationId}': {
    parameters: [param('evaluationId')],
    get: {
      'x-spine-access': { kind: 'read' },
      summary: 'One evaluation: its rows (origin vs fork) and summary',
      description: `${VIEW}. An evaluation that has not ended and no longer runs (Spine restarted) is \`interrupted\`.`,
      responses: { '200': { description: 'Evaluation' }, ...errors(401, 404) },
    },
  },
  '/api/v1/evaluations/{evaluationId}/ship': {
    parameters: [param('evaluationId')],
    post: {
      'x-spine-access': { kind: 'role', roles: ['architect'] },
      summary: 'Ship the evaluated version (architect): it stays current, or is made current again if the agent changed since (`evaluation.shipped`)',
      responses: { '200': { description: 'Evaluation' }, ...errors(401, 403, 404, 409) },
    },
  },
  '/api/v1/evaluations/{evaluationId}/rollback': {
    parameters: [param('evaluationId')],
    post: {
      'x-spine-access': { kind: 'role', roles: ['architect'] },
      summary: 'Roll back (architect): the version the evaluated runs used becomes current again, as a new version equal to it (`evaluation.rolled_back`)',
      description: '409 `evaluation.running` while it runs, `evaluation.decided` once shipped or rolled back.',
      responses: { '200': { description: 'Evaluation' }, ...errors(401, 403, 404, 409) },
    },
  },
};
