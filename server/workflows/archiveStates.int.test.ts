/**
 * The archive states every run start reads: kept in memory while the watch follows the log, dropped by the
 * workflow's archive, restore or rename as soon as its event commits here (no wait at all) or reaches this
 * process from another. On PostgreSQL "another process" is a second spine on the same database (its commits
 * arrive by NOTIFY); on SQLite (one process) both sides share one spine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSpine, type Spine } from '@/server/spine';
import { createDb, type Db } from '@/server/db/client';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';
import { createArchiveStates, type ArchiveStates } from './archiveStates';
import { createWorkflowLibrary, type WorkflowLibrary } from './library';
import { createWorkflowStore } from './store';

const spines: Spine[] = [];
const dbs: Db[] = [];
const watch = new AbortController();
let states: ArchiveStates;
let here: WorkflowLibrary;
let there: WorkflowLibrary;

beforeAll(async () => {
  const url = await freshDatabaseUrl();
  const a = await openSpine({ databaseUrl: url });
  const b = testDbKind() === 'postgres' ? await openSpine({ databaseUrl: url }) : a;
  spines.push(...new Set([a, b]));
  dbs.push(createDb(url), createDb(url));
  states = createArchiveStates(createWorkflowStore(dbs[0]!), a);
  void states.watch(watch.signal);
  here = createWorkflowLibrary({ db: dbs[0]!, workflows: createWorkflowStore(dbs[0]!), spine: a });
  there = createWorkflowLibrary({ db: dbs[1]!, workflows: createWorkflowStore(dbs[1]!), spine: b });
});

afterAll(async () => {
  watch.abort();
  for (const d of dbs) await d.$disconnect();
  for (const s of spines) await s.close();
});

describe(`the archive states run starts read (${testDbKind()})`, () => {
  it('keeps an answer while watching; an archive, restore or rename drops it, here at once, from elsewhere by the log', async () => {
    const w = await here.createFrom({ name: 'Kept' }, 'ada@example.com');
    expect(await states.get(w.slug)).toMatchObject({ id: w.id, slug: w.slug, name: 'Kept', archived: false });

    // Changed behind Spine's back (no event): the kept answer stands, so it costs no query.
    await dbs[0]!.workflow.update({ where: { id: w.id }, data: { archived: true } });
    expect(await states.get(w.slug)).toMatchObject({ archived: false });
    await dbs[0]!.workflow.update({ where: { id: w.id }, data: { archived: false } });

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
    const alone = createArchiveStates(createWorkflowStore(dbs[0]!), spines[0]!);
    const w = await here.createFrom({ name: 'Unwatched' }, 'ada@example.com');
    expect(await alone.get(w.id)).toMatchObject({ archived: false });
    await dbs[0]!.workflow.update({ where: { id: w.id }, data: { archived: true } });
    expect(await alone.get(w.id)).toMatchObject({ archived: true });
    await expect(alone.get('no-such-workflow')).rejects.toMatchObject({ code: 'workflow.not_found' });
    await expect(states.get('no-such-workflow')).rejects.toMatchObject({ code: 'workflow.not_found' });
  });
});
