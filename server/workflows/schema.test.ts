import { describe, expect, it } from 'vitest';
import {
  AgentConfig,
  KIND_DEFAULTS,
  KIND_META,
  NODE_KINDS,
  RetryPolicy,
  WORKFLOW_SLUG,
  WorkflowDocument,
  WorkflowEdge,
  WorkflowNode,
  createNode,
  edgeHandle,
  formatDuration,
  nextCronTime,
  outputHandles,
  parseCron,
  parseDuration,
} from './schema';

const parses = (raw: unknown) => WorkflowNode.safeParse(raw).success;

describe('nodes: defaults', () => {
  it.each(NODE_KINDS)('a bare %s node gets its kind defaults and a position', (kind) => {
    const raw = kind === 'agent' ? { id: 'n', kind, config: { agent: 'x' } } : { id: 'n', kind };
    const n = WorkflowNode.parse(raw);
    expect(n.position).toEqual({ x: 0, y: 0 });
    expect(n.config).toEqual(kind === 'agent' ? { ...KIND_DEFAULTS.agent, agent: 'x' } : KIND_DEFAULTS[kind]);
  });

  it('documents the agent defaults: 30 s timeout, 3 attempts from 200 ms doubling to 10 s with 20 % jitter, rerun when stale', () => {
    expect(AgentConfig.parse({ agent: 'a' })).toEqual({
      agent: 'a',
      timeoutMs: 30_000,
      retry: { maxAttempts: 3, initialBackoffMs: 200, backoffMultiplier: 2, maxBackoffMs: 10_000, jitter: 0.2 },
      onStale: 'rerun',
    });
    expect(RetryPolicy.parse({ maxAttempts: 5 })).toMatchObject({ maxAttempts: 5, initialBackoffMs: 200 });
  });

  it.each([
    ['trigger', {}, { mode: 'manual', keyHold: 'working' }],
    ['fanOut', undefined, { mode: 'static' }],
    ['fanOut', { mode: 'map', items: 'input.xs' }, { mode: 'map', items: 'input.xs', concurrency: 4 }],
    ['join', {}, { mode: 'all', onTimeout: 'fail' }],
    ['router', {}, { routes: [] }],
    ['approval', {}, { role: 'approver', onLapse: 'fail', requiredApprovals: 1, allowRequester: false }],
    ['delay', { mode: 'until', until: 'input.at' }, { mode: 'until', until: 'input.at' }],
    ['setContext', { patch: { a: '1' } }, { patch: { a: '1' } }],
    ['end', {}, { outcome: 'success' }],
  ] as const)('%s config %j → %j', (kind, config, expected) => {
    expect(WorkflowNode.parse({ id: 'n', kind, config }).config).toEqual(expected);
  });

  it('hands out fresh default objects: nodes never share a position or config', () => {
    const doc = WorkflowDocument.parse({ formatVersion: 1, nodes: [{ id: 'a', kind: 'router' }, { id: 'b', kind: 'router' }], edges: [] });
    const [a, b] = doc.nodes as [Extract<WorkflowNode, { kind: 'router' }>, Extract<WorkflowNode, { kind: 'router' }>];
    a.position.x = 99;
    a.config.routes.push({ id: 'r', condition: 'true' });
    expect(b.position.x).toBe(0);
    expect(b.config.routes).toEqual([]);
    expect(KIND_DEFAULTS.router.routes).toEqual([]);
  });

  it('KIND_DEFAULTS are frozen, valid, and copied by createNode', () => {
    expect(Object.isFrozen(KIND_DEFAULTS.agent.retry)).toBe(true);
    for (const kind of NODE_KINDS) {
      const n = createNode(kind, `new-${kind}`, { x: 10, y: 20 });
      expect(n).toMatchObject({ id: `new-${kind}`, kind, position: { x: 10, y: 20 } });
      expect(Object.isFrozen(n.config)).toBe(false);
      expect(n.config).toEqual(KIND_DEFAULTS[kind]);
    }
  });

  it('KIND_META describes every kind for the designer', () => {
    expect(Object.keys(KIND_META).sort()).toEqual([...NODE_KINDS].sort());
    expect(KIND_META.end.outputs).toEqual([]);
    expect(KIND_META.trigger.inputs).toBe('none');
    expect(KIND_META.join.inputs).toBe('many');
    expect(KIND_META.agent.outputs).toEqual(['default', 'error']);
    expect(KIND_META.approval.outputs).toEqual(['approved', 'rejected']);
  });
});

describe('nodes: strictness', () => {
  it.each([
    ['an unknown kind', { id: 'n', kind: 'script' }],
    ['an unknown node field', { id: 'n', kind: 'end', html: '<b>' }],
    ['an unknown config field', { id: 'n', kind: 'end', config: { outcome: 'success', exec: 'x' } }],
    ['an unknown retry field', { id: 'n', kind: 'agent', config: { agent: 'a', retry: { forever: true } } }],
    ['an unknown position field', { id: 'n', kind: 'end', position: { x: 0, y: 0, z: 1 } }],
    ['an id with spaces', { id: 'a b', kind: 'end' }],
    ['an id over 64 chars', { id: 'x'.repeat(65), kind: 'end' }],
    ['a label over 200 chars', { id: 'n', kind: 'end', label: 'x'.repeat(201) }],
    ['an infinite position', { id: 'n', kind: 'end', position: { x: Infinity, y: 0 } }],
    ['an event trigger without event type', { id: 'n', kind: 'trigger', config: { mode: 'event' } }],
    ['a bad event type pattern', { id: 'n', kind: 'trigger', config: { mode: 'event', eventType: 'Case Opened' } }],
    ['a schedule trigger without cron', { id: 'n', kind: 'trigger', config: { mode: 'schedule' } }],
    ['a 6-field cron', { id: 'n', kind: 'trigger', config: { mode: 'schedule', cron: '0 0 * * * *' } }],
    ['a cron minute of 60', { id: 'n', kind: 'trigger', config: { mode: 'schedule', cron: '60 * * * *' } }],
    ['an agent output key that is not an identifier', { id: 'n', kind: 'agent', config: { agent: 'a', outputKey: 'out-put' } }],
    ['a zero timeout', { id: 'n', kind: 'agent', config: { agent: 'a', timeoutMs: 0 } }],
    ['a fractional timeout', { id: 'n', kind: 'agent', config: { agent: 'a', timeoutMs: 1.5 } }],
    ['21 attempts', { id: 'n', kind: 'agent', config: { agent: 'a', retry: { maxAttempts: 21 } } }],
    ['jitter above 1', { id: 'n', kind: 'agent', config: { agent: 'a', retry: { jitter: 1.5 } } }],
    ['an unknown stale policy', { id: 'n', kind: 'agent', config: { agent: 'a', onStale: 'ignore' } }],
    ['a mapping key "constructor"', { id: 'n', kind: 'agent', config: { agent: 'a', input: { constructor: '1' } } }],
    ['a mapping key "prototype"', { id: 'n', kind: 'end', config: { output: { prototype: '1' } } }],
    ['an empty expression', { id: 'n', kind: 'end', config: { output: { x: '' } } }],
    ['an expression over 2000 chars', { id: 'n', kind: 'end', config: { output: { x: 'a'.repeat(2001) } } }],
    ['a map fan-out without items', { id: 'n', kind: 'fanOut', config: { mode: 'map' } }],
    ['a map fan-out concurrency of 0', { id: 'n', kind: 'fanOut', config: { mode: 'map', items: 'input.x', concurrency: 0 } }],
    ['a quorum join without quorum', { id: 'n', kind: 'join', config: { mode: 'quorum' } }],
    ['a route id with spaces', { id: 'n', kind: 'router', config: { routes: [{ id: 'a b', condition: 'true' }] } }],
    ['6 required approvals', { id: 'n', kind: 'approval', config: { requiredApprovals: 6 } }],
    ['instructions over 4000 chars', { id: 'n', kind: 'approval', config: { instructions: 'x'.repeat(4001) } }],
    ['a negative delay', { id: 'n', kind: 'delay', config: { mode: 'duration', durationMs: -1 } }],
    ['a delay over a year', { id: 'n', kind: 'delay', config: { mode: 'duration', durationMs: 366 * 86_400_000 } }],
    ['a delay mode mismatch', { id: 'n', kind: 'delay', config: { mode: 'until', durationMs: 5 } }],
    ['an unknown end outcome', { id: 'n', kind: 'end', config: { outcome: 'maybe' } }],
  ])('refuses %s', (_name, raw) => {
    expect(parses(raw)).toBe(false);
  });

  it('drops a "__proto__" mapping key (zod skips it) so it never reaches a merge', () => {
    const n = WorkflowNode.parse({ id: 'n', kind: 'agent', config: { agent: 'a', input: JSON.parse('{"__proto__": "1", "ok": "2"}') } });
    expect(n.kind === 'agent' && Object.keys(n.config.input ?? {})).toEqual(['ok']);
  });

  it('accepts the valid counterparts', () => {
    expect(parses({ id: 'Node_1-a', kind: 'trigger', config: { mode: 'event', eventType: 'booking.*' } })).toBe(true);
    expect(parses({ id: 'n', kind: 'trigger', config: { mode: 'schedule', cron: '*/15 9-17 * jan-jun mon-fri' } })).toBe(true);
    expect(parses({ id: 'n', kind: 'join', config: { mode: 'quorum', quorum: 2 } })).toBe(true);
    expect(parses({ id: 'n', kind: 'agent', config: { agent: '' } })).toBe(true); // a draft: validation reports agent.not_set
  });

  it('edges and documents are strict too', () => {
    expect(WorkflowEdge.safeParse({ id: 'e', source: 'a', target: 'b', style: {} }).success).toBe(false);
    expect(WorkflowEdge.safeParse({ id: '', source: 'a', target: 'b' }).success).toBe(false);
    expect(WorkflowDocument.safeParse({ formatVersion: 2, nodes: [], edges: [] }).success).toBe(false);
    expect(WorkflowDocument.safeParse({ formatVersion: 1, nodes: [], edges: [], viewport: {} }).success).toBe(false);
    expect(WorkflowDocument.safeParse({ formatVersion: 1, nodes: [] }).success).toBe(false);
  });
});

describe('documents: round trips', () => {
  const raw = {
    formatVersion: 1,
    nodes: [
      { id: 't', kind: 'trigger', label: 'Start', position: { x: 0, y: 10 }, config: { mode: 'schedule', cron: '0 6 * * 1' } },
      { id: 'a', kind: 'agent', position: { x: 250, y: 10 }, config: { agent: 'x', input: { q: 'input.q' }, outputKey: 'answer', onStale: 'accept' } },
      { id: 'e', kind: 'end', position: { x: 500, y: 10 } },
    ],
    edges: [
      { id: 'e1', source: 't', target: 'a' },
      { id: 'e2', source: 'a', target: 'e', label: 'done' },
    ],
  };

  it('parse → JSON → parse is the identity on the parsed form', () => {
    const once = WorkflowDocument.parse(raw);
    const twice = WorkflowDocument.parse(JSON.parse(JSON.stringify(once)));
    expect(twice).toEqual(once);
    expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
  });

  it('keeps what was given and only adds defaults', () => {
    const doc = WorkflowDocument.parse(raw);
    expect(doc.nodes[1]).toMatchObject(raw.nodes[1]!);
    expect(doc.edges).toEqual(raw.edges);
  });
});

describe('handles', () => {
  it('an unnamed handle is default', () => {
    expect(edgeHandle({})).toBe('default');
    expect(edgeHandle({ sourceHandle: null })).toBe('default');
    expect(edgeHandle({ sourceHandle: 'error' })).toBe('error');
  });

  it('a router has one handle per route, then default', () => {
    const r = WorkflowNode.parse({ id: 'r', kind: 'router', config: { routes: [{ id: 'hi', condition: 'true' }, { id: 'lo', condition: 'false' }] } });
    expect(outputHandles(r)).toEqual(['hi', 'lo', 'default']);
  });
});

describe('parseDuration: the one place "30s" becomes ms', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m 30s', 90_000],
    ['1.5s', 1500],
    [' 10S ', 10_000],
    ['1500', 1500],
    [0, 0],
    [45_000, 45_000],
  ] as const)('%j → %d', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 'soon', '-5s', '5 minutes', '1w', '5s!', 's', '1.5.5s', 'NaN', -1, 1.5, Number.NaN, Infinity, '400d', '0.5ms'])('refuses %j with duration.invalid', (input) => {
    expect(() => parseDuration(input)).toThrow(expect.objectContaining({ code: 'duration.invalid' }));
  });

  it('formats back', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0s');
    for (const ms of [1, 999, 61_000, 86_400_000 + 1]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('cron (5 fields, UTC)', () => {
  it('expands fields', () => {
    const c = parseCron('*/20 9-11 1,15 * SUN,6-7');
    expect(c.minute).toEqual([0, 20, 40]);
    expect(c.hour).toEqual([9, 10, 11]);
    expect(c.dayOfMonth).toEqual([1, 15]);
    expect(c.month).toHaveLength(12);
    expect(c.dayOfWeek).toEqual([0, 6]);
  });

  it.each(['', '* * * *', '61 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '5-1 * * * *', '*/0 * * * *', 'a b c d e', '* * * foo *'])('refuses %j', (expr) => {
    expect(() => parseCron(expr)).toThrow();
  });

  it('finds the next time, strictly after', () => {
    const t = (iso: string) => Date.parse(iso);
    expect(nextCronTime('*/15 9-17 * * mon-fri', t('2024-01-06T00:00:00Z'))).toBe(t('2024-01-08T09:00:00Z')); // Saturday → Monday
    expect(nextCronTime('0 0 * * *', t('2024-01-01T00:00:00Z'))).toBe(t('2024-01-02T00:00:00Z'));
    expect(nextCronTime('30 12 29 2 *', t('2024-03-01T00:00:00Z'))).toBe(t('2028-02-29T12:30:00Z'));
    expect(nextCronTime('0 0 31 2 *', t('2024-01-01T00:00:00Z'))).toBeNull();
    expect(nextCronTime('0 0 1 * mon', t('2024-01-01T12:00:00Z'))).toBe(t('2024-01-08T00:00:00Z')); // either day field matches
  });
});

describe('slugs', () => {
  it.each([
    ['legal-case-analysis', true],
    ['a', true],
    ['x1-2', true],
    ['-lead', false],
    ['Upper', false],
    ['under_score', false],
    ['x'.repeat(65), false],
    ['', false],
  ])('%j → %s', (slug, ok) => {
    expect(WORKFLOW_SLUG.test(slug)).toBe(ok);
  });
});
