/**
 * Who changed a workflow, when, and what, from the log alone: configuration changes made through the real
 * tRPC router by different people are events with their name on the workflow's key, draft saves coalesce
 * per editing burst with a save count and a diff size, and an archived workflow starts no run by hand on
 * any path (tRPC, API v1 over real HTTP on loopback), with nothing appended. On the selected database.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/auth/roles';
import { SYSTEM_ACTOR } from '@/server/auth/roles';
import { createAuthService } from '@/server/auth/service';
import { createNodeServer } from '@/server/http/nodeAdapter';
import type { SpineEvent } from '@/server/spine';
import { openHarness, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';
import { createWorkflowLibrary, diffSize, DRAFT_BURST_MS } from '@/server/workflows/library';
import { createNode, type WorkflowDocument } from '@/server/workflows/schema';

let h: Harness;
const person = (name: string): Actor => ({ kind: 'user', id: name, name, roles: ['admin'] });
const as = (name: string) => createCaller(createContextInner({ actor: person(name), services: { spine: h.spine, engine: h.service, db: h.db } }));

const agent = (id: string, label?: string) => ({ ...createNode('agent', id), config: { ...createNode('agent', id).config, agent: 'echo' }, ...(label && { label }) });
const straight: WorkflowDocument = {
  formatVersion: 1,
  nodes: [createNode('trigger', 'start'), agent('echo-1'), createNode('end', 'done')],
  edges: [
    { id: 'e1', source: 'start', target: 'echo-1' },
    { id: 'e2', source: 'echo-1', target: 'done' },
  ],
};

/** Every event on a workflow's key, in seq order: the only input of the history below. */
async function logOf(workflowId: string): Promise<SpineEvent[]> {
  return h.spine.read({ after: 0, limit: 1000, filter: { key: `workflow:${workflowId}` } });
}

/** A workflow's history as a person reads it, from its events alone. */
function history(events: SpineEvent[]): string[] {
  return events.map((e) => {
    const p = e.payload as Record<string, any>;
    const who = e.source.name;
    switch (e.type) {
      case 'workflow.created':
        return `created by ${who} from ${p.from.kind}${p.from.template ? ` ${p.from.template}` : ''}${p.from.slug ? ` ${p.from.slug}` : ''}`;
      case 'workflow.renamed':
        return `renamed by ${who}: ${p.from} → ${p.to}`;
      case 'workflow.draft_saved':
        return `draft saved by ${who} (${p.saves} saves; nodes +${p.diff.nodes.added} -${p.diff.nodes.removed} ~${p.diff.nodes.changed}, edges +${p.diff.edges.added} -${p.diff.edges.removed} ~${p.diff.edges.changed})`;
      case 'workflow.published':
        return `published by ${who} as version ${p.version}`;
      case 'workflow.duplicated':
        return `duplicated by ${who} as ${p.copy.slug}`;
      case 'workflow.archived':
      case 'workflow.restored':
        return `${e.type.slice('workflow.'.length)} by ${who}`;
      default:
        return `${e.type} by ${who}`;
    }
  });
}

let server: http.Server;
let base: string;
let opsKey = '';

beforeAll(async () => {
  h = await openHarness();
  const auth = createAuthService({ db: h.db, spine: h.spine });
  opsKey = (await auth.createKey({ name: 'ops', scopes: { startRuns: true, roles: ['operator'] } }, SYSTEM_ACTOR)).secret;
  server = createNodeServer(v1Routes(async () => ({ spine: h.spine, maxPayloadBytes: 64 * 1024, auth, engine: h.service })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

describe(`configuration has authors (${testDbKind()})`, () => {
  it('the log of a workflow tells who created, renamed, edited, published and archived it, and what changed', async () => {
    const created = await as('ada').workflows.create({ name: 'Audit me', document: straight });
    await as('ben').workflows.rename({ id: created.id, name: 'Audited' });
    // Ada edits: three saves in a row (an editing burst), adding a step and relabelling one.
    let rev = created.draftRevision;
    const withReview = {
      ...straight,
      nodes: [...straight.nodes, agent('review')],
      edges: [straight.edges[0]!, { id: 'e3', source: 'echo-1', target: 'review' }, { id: 'e4', source: 'review', target: 'done' }],
    };
    const relabelled = { ...withReview, nodes: withReview.nodes.map((n) => (n.id === 'done' ? { ...n, label: 'Finished' } : n)) };
    const moved = { ...relabelled, nodes: relabelled.nodes.map((n) => (n.id === 'review' ? { ...n, position: { x: 400, y: 400 } } : n)) };
    for (const doc of [withReview, relabelled, moved]) rev = (await as('ada').workflows.saveDraft({ id: created.id, document: doc, expectedRevision: rev })).draftRevision;
    // No event yet: the burst is still open.
    expect((await logOf(created.id)).map((e) => e.type)).toEqual(['workflow.created', 'workflow.renamed']);
    await as('ben').workflows.publish({ id: created.id, summary: 'first' });
    await as('ada').workflows.setArchived({ id: created.id, archived: true });

    const events = await logOf(created.id);
    expect(history(events)).toEqual([
      'created by ada from import',
      'renamed by ben: Audit me → Audited',
      'draft saved by ada (3 saves; nodes +1 -0 ~1, edges +2 -1 ~0)',
      'published by ben as version 1',
      'archived by ada',
    ]);
    expect(events.every((e) => e.source.kind === 'user')).toBe(true);
    expect(events[2]!.payload).toMatchObject({ fromRevision: created.draftRevision, revision: rev });
    // Renaming to the same name, or archiving what is archived, changes nothing and records nothing.
    await as('ben').workflows.rename({ id: created.id, name: 'Audited' });
    await as('ben').workflows.setArchived({ id: created.id, archived: true });
    expect(await logOf(created.id)).toHaveLength(5);
  });

  it('created from a template or blank, and duplicated: both workflows say so', async () => {
    const fromTemplate = await as('ada').workflows.create({ name: 'My procurement', template: 'procurement' });
    const blank = await as('ben').workflows.create({ name: 'Empty' });
    const copy = await as('cleo').workflows.duplicate({ id: fromTemplate.id });
    expect(history(await logOf(fromTemplate.id))).toEqual(['created by ada from template procurement', `duplicated by cleo as ${copy.slug}`]);
    expect(history(await logOf(blank.id))).toEqual(['created by ben from blank']);
    expect(history(await logOf(copy.id))).toEqual([`created by cleo from duplicate ${fromTemplate.slug}`]);
    expect((await logOf(copy.id))[0]!.payload).toMatchObject({ nodes: fromTemplate.draft.nodes.length, edges: fromTemplate.draft.edges.length });
  });

  it('a burst ends when someone else saves or after a pause; each burst is one event with its count', async () => {
    let t = Date.UTC(2026, 0, 1);
    const library = createWorkflowLibrary({ db: h.db, workflows: h.service.workflows, spine: h.spine, now: () => t });
    const w = await library.create({ name: 'Bursts', document: straight }, { by: 'ada' });
    let rev = w.draftRevision;
    const save = async (by: string, doc: WorkflowDocument) => (rev = (await library.saveDraft(w.id, doc, rev, by)).draftRevision);
    const one = { ...straight, nodes: straight.nodes.map((n) => (n.id === 'echo-1' ? { ...n, label: 'One' } : n)) };
    const two = { ...one, nodes: one.nodes.filter((n) => n.id !== 'done'), edges: one.edges.filter((e) => e.target !== 'done') };

    await save('ada', one);
    t += DRAFT_BURST_MS - 1;
    await save('ada', straight); // still ada's burst: the last save was less than the pause ago
    await save('ben', one); // someone else: ada's burst is recorded, ben's begins
    t += DRAFT_BURST_MS;
    await save('ben', two); // after the pause: ben's first burst is recorded, a second begins
    await library.recordDraftSaves(w.id);

    const saves = (await logOf(w.id)).filter((e) => e.type === 'workflow.draft_saved');
    expect(saves.map((e) => [e.source.name, (e.payload as { saves: number }).saves, (e.payload as { diff: unknown }).diff])).toEqual([
      ['ada', 2, { nodes: { added: 0, removed: 0, changed: 0 }, edges: { added: 0, removed: 0, changed: 0 } }],
      ['ben', 1, { nodes: { added: 0, removed: 0, changed: 1 }, edges: { added: 0, removed: 0, changed: 0 } }],
      ['ben', 1, { nodes: { added: 0, removed: 1, changed: 0 }, edges: { added: 0, removed: 1, changed: 0 } }],
    ]);
    expect(saves.map((e) => [(e.payload as { fromRevision: number }).fromRevision, (e.payload as { revision: number }).revision])).toEqual([
      [w.draftRevision, w.draftRevision + 2],
      [w.draftRevision + 2, w.draftRevision + 3],
      [w.draftRevision + 3, w.draftRevision + 4],
    ]);
    // Nothing open is left: recording again appends nothing.
    await library.recordDraftSaves(w.id);
    expect((await logOf(w.id)).filter((e) => e.type === 'workflow.draft_saved')).toHaveLength(3);
  });

  it('a stale save is a conflict and counts into no burst', async () => {
    const w = await as('ada').workflows.create({ name: 'Stale', document: straight });
    await as('ada').workflows.saveDraft({ id: w.id, document: straight, expectedRevision: w.draftRevision });
    await expect(as('ben').workflows.saveDraft({ id: w.id, document: straight, expectedRevision: w.draftRevision })).rejects.toMatchObject({ cause: { code: 'workflow.draft_conflict' } });
    await as('ada').workflows.publish({ id: w.id });
    expect(history(await logOf(w.id))).toEqual(['created by ada from import', 'draft saved by ada (1 saves; nodes +0 -0 ~0, edges +0 -0 ~0)', 'published by ada as version 1']);
  });

  it('diff sizes: a move is no change, a new label or config is, edges are compared whole', () => {
    const moved = { ...straight, nodes: straight.nodes.map((n) => ({ ...n, position: { x: n.position.x + 10, y: 0 } })) };
    expect(diffSize(straight, moved)).toEqual({ nodes: { added: 0, removed: 0, changed: 0 }, edges: { added: 0, removed: 0, changed: 0 } });
    const rewired = { ...straight, edges: [{ ...straight.edges[0]!, label: 'go' }, { id: 'e9', source: 'start', target: 'done' }] };
    expect(diffSize(straight, rewired)).toEqual({ nodes: { added: 0, removed: 0, changed: 0 }, edges: { added: 1, removed: 1, changed: 1 } });
  });
});

describe(`an archived workflow starts nothing (${testDbKind()})`, () => {
  it('starting it by tRPC or API v1 is refused with 409 workflow.archived naming it; nothing is appended; restored, it starts', async () => {
    const w = await as('ada').workflows.create({ name: 'Shelved', document: straight });
    await as('ada').workflows.publish({ id: w.id });
    await as('ada').workflows.setArchived({ id: w.id, archived: true });
    const head = await h.spine.head();

    await expect(as('ada').workflows.startRun({ id: w.id, input: {} })).rejects.toMatchObject({
      code: 'CONFLICT',
      cause: { code: 'workflow.archived', details: { workflowId: w.id } },
    });
    for (const idOrSlug of [w.id, w.slug]) {
      const res = await fetch(`${base}/workflows/${idOrSlug}/runs`, { method: 'POST', headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'application/json' }, body: '{"input":{}}' });
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(409);
      expect(body.error.code).toBe('workflow.archived');
      expect(body.error.message).toContain("'Shelved'");
      expect(body.error.message).toMatch(/restore/i);
    }
    // Naming a version does not get around it.
    await expect(h.service.startRun(w.slug, { input: {}, version: 1 }, 'ada')).rejects.toMatchObject({ code: 'workflow.archived', httpStatus: 409 });
    expect(await h.spine.head()).toBe(head);

    await as('ada').workflows.setArchived({ id: w.id, archived: false });
    const res = await fetch(`${base}/workflows/${w.slug}/runs`, { method: 'POST', headers: { authorization: `Bearer ${opsKey}`, 'content-type': 'application/json' }, body: '{"input":{}}' });
    expect(res.status).toBe(202);
  });
});
