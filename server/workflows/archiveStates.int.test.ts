/**
 * The archive states every run start reads: kept in memory while the watch follows the log, dropped by the
 * workflow's archive, restore or rename as soon as its event commits here (no wait at all) or reaches this
 * process from another. On PostgreSQL "another process" is a second spine on the same database (its commits
 * arrive by NOTIFY); on SQLite (one process) both sides share one spine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDbKind } from '@/server/testing/testDb';
import { openTwoProcesses, type TwoProcesses } from '@/server/testing/twoProcesses';
import { createArchiveStates, type ArchiveStates } from './archiveStates';
import { createWorkflowLibrary, type WorkflowLibrary } from './library';
import { createWorkflowStore } from './store';

let two: TwoProcesses;
const watch = new AbortController();
let states: ArchiveStates;
let here: WorkflowLibrary;
let there: WorkflowLibrary;

beforeAll(async () => {
  two = await openTwoProcesses();
  states = createArchiveStates(createWorkflowStore(two.here.db), two.here.spine);
  void states.watch(watch.signal);
  here = createWorkflowLibrary({ db: two.here.db, workflows: createWorkflowStore(two.here.db), spine: two.here.spine });
  there = createWorkflowLibrary({ db: two.there.db, workflows: createWorkflowStore(two.there.db), spine: two.there.spine });
});

afterAll(async () => {
  watch.abort();
  await two.close();
});

describe(`the archive states run starts read (${testDbKind()})`, () => {
  it('keeps an answer while watching; an archive, restore or rename drops it, here at once, from elsewhere by the log', async () => {
    const w = await here.createFrom({ name: 'Kept' }, 'ada@example.com');
    expect(await states.get(w.slug)).toMatchObject({ id: w.id, slug: w.slug, name: 'Kept', archived: false });

    // Changed behind Spine's back (no event): the kept answer stands, so it costs no query.
    await two.here.db.workflow.update({ where: { id: w.id }, data: { archived: true } });
    expect(await states.get(w.slug)).toMatchObject({ archived: false });
    await two.here.db.workflow.update({ where: { id: w.id }, data: { archived: false } });

    // Archived through the other process: its event reaches this one and the next start reads the database.
    await there.setArchived(w.id, true, 'ben@example.com');
    await expect.poll(async () => (await states.get(w.slug)).archived, { timeout: 2_000, interval: 5 }).toBe(true);
    expect(await states.get(w.id)).toMatchObject({ archived: true });

    // Restored and renamed in this process: the very next read after the call answers sees it, no waiting.
    await here.setArchived(w.id, false, 'ada@example.com');
    expect(await states.get(w.slug)).toMatchObject({ archived: false });
    expect(await states.get(w.id)).toMatchObject({ archived: false });
    await here.rename(w.id, { name: 'Renamed' }, 'ada@example.com');
    expect(await states.get(w.slug)).toMatchObject({ name: 'Renamed', archived: false });
  });

  it('without a watch, every read goes to the database; an unknown workflow is not found', async () => {
    const alone = createArchiveStates(createWorkflowStore(two.here.db), two.here.spine);
    const w = await here.createFrom({ name: 'Unwatched' }, 'ada@example.com');
    expect(await alone.get(w.id)).toMatchObject({ archived: false });
    await two.here.db.workflow.update({ where: { id: w.id }, data: { archived: true } });
    expect(await alone.get(w.id)).toMatchObject({ archived: true });
    await expect(alone.get('no-such-workflow')).rejects.toMatchObject({ code: 'workflow.not_found' });
    await expect(states.get('no-such-workflow')).rejects.toMatchObject({ code: 'workflow.not_found' });
  });
});
