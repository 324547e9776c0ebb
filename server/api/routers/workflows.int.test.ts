/**
 * The designer's API on the selected database, through the real router (createCaller): the library list,
 * rename/duplicate/archive, drafts with revision conflicts, publish refused with errors, versions, a run
 * started from the published version and its node states pushed until every node is done.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import { LOCAL_OPERATOR } from '@/server/api/actor';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { createNode, type WorkflowDocument } from '@/server/workflows/schema';

function callerFor(h: Harness) {
  return createCaller(createContextInner({ actor: LOCAL_OPERATOR, services: { spine: h.spine, engine: h.service, db: h.db } }));
}

const straight: WorkflowDocument = {
  formatVersion: 1,
  nodes: [createNode('trigger', 'start'), { ...createNode('agent', 'echo-1'), config: { ...createNode('agent', 'x').config, agent: 'echo' } }, createNode('end', 'done')],
  edges: [
    { id: 'e1', source: 'start', target: 'echo-1' },
    { id: 'e2', source: 'echo-1', target: 'done' },
  ],
};

describe(`workflows router (${testDbKind()})`, () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    vi.restoreAllMocks();
  });

  it('lists the library with draft status and runs; rename, duplicate and archive leave the draft revision alone', async () => {
    h = await openHarness();
    const api = callerFor(h);
    const created = await api.workflows.create({ name: 'Straight line', document: straight });
    expect((await api.workflows.list()).find((w) => w.id === created.id)).toMatchObject({ draftStatus: 'unpublished', lastRun: null, runsLast24h: 0 });

    await api.workflows.publish({ id: created.id, summary: 'first' });
    const { runId } = await api.workflows.startRun({ id: created.id, input: { text: 'hi' } });
    await waitForRun(h.spine, runId);
    // Started from the designer, by its caller.
    const started = (await h.service.runEvents(runId))[0];
    expect(started).toMatchObject({ type: 'run.started', source: { name: LOCAL_OPERATOR.name }, payload: { trigger: { kind: 'designer' }, startedBy: LOCAL_OPERATOR.name } });
    const listed = (await api.workflows.list()).find((w) => w.id === created.id);
    expect(listed).toMatchObject({ draftStatus: 'published', publishedVersion: 1, runsLast24h: 1, lastRun: { id: runId, status: 'completed', version: 1 } });
    // The seeded demo workflows are there too, published and in sync.
    expect((await api.workflows.list()).find((w) => w.slug === 'procurement')).toMatchObject({ draftStatus: 'published' });

    await api.workflows.rename({ id: created.id, name: 'Renamed' });
    const copy = await api.workflows.duplicate({ id: created.id });
    expect(copy).toMatchObject({ name: 'Renamed (copy)', publishedVersion: null, draft: straight });
    await api.workflows.setArchived({ id: created.id, archived: true });
    expect((await api.workflows.list()).some((w) => w.id === created.id)).toBe(false);
    expect((await api.workflows.list({ includeArchived: true })).find((w) => w.id === created.id)).toMatchObject({ name: 'Renamed', archived: true });
    expect((await api.workflows.get({ id: created.id })).draftRevision).toBe(created.draftRevision);
  });

  it('a save on a stale revision is a draft conflict; the draft then differs from the published version', async () => {
    h = await openHarness();
    const api = callerFor(h);
    const w = await api.workflows.create({ name: 'Conflicts', document: straight });
    await api.workflows.publish({ id: w.id });
    const moved = { ...straight, nodes: straight.nodes.map((n) => (n.id === 'done' ? { ...n, label: 'Finished' } : n)) };
    const { draftRevision } = await api.workflows.saveDraft({ id: w.id, document: moved, expectedRevision: w.draftRevision });
    expect(draftRevision).toBe(w.draftRevision + 1);
    await expect(api.workflows.saveDraft({ id: w.id, document: straight, expectedRevision: w.draftRevision })).rejects.toMatchObject({
      code: 'CONFLICT',
      cause: { code: 'workflow.draft_conflict' },
    });
    expect((await api.workflows.list()).find((x) => x.id === w.id)?.draftStatus).toBe('changed');
  });

  it('publishing a draft with errors is refused and creates no version', async () => {
    h = await openHarness();
    const api = callerFor(h);
    const w = await api.workflows.create({ name: 'Broken', document: { formatVersion: 1, nodes: [createNode('trigger', 't'), createNode('agent', 'a')], edges: [{ id: 'e', source: 't', target: 'a' }] } });
    await expect(api.workflows.publish({ id: w.id })).rejects.toMatchObject({ cause: { code: 'workflow.invalid' } });
    expect(await api.workflows.versions({ id: w.id })).toEqual([]);
  });

  it('creates from a demo template; versions keep what was published', async () => {
    h = await openHarness();
    const api = callerFor(h);
    const templates = await api.workflows.templates();
    expect(templates.map((t) => t.slug)).toContain('legal-case-analysis');
    const w = await api.workflows.create({ name: 'My legal case', template: 'legal-case-analysis' });
    expect(w.draft.nodes.length).toBe(templates.find((t) => t.slug === 'legal-case-analysis')!.nodeCount);
    // A template that does not exist is refused (as over /api/v1), not a blank workflow.
    const before = (await api.workflows.list()).length;
    await expect(api.workflows.create({ name: 'Typo', template: 'legal-case-analysys' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining("no template 'legal-case-analysys'") });
    expect(await api.workflows.list()).toHaveLength(before);
    await api.workflows.publish({ id: w.id, summary: 'v1' });
    expect(await api.workflows.versions({ id: w.id })).toMatchObject([{ version: 1, summary: 'v1', createdBy: 'local' }]);
    expect((await api.workflows.version({ id: w.id, version: 1 })).document).toEqual(w.draft);
  });
});
