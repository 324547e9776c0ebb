/**
 * The inbox with 200 pending approvals on the selected database: read a page at a time through the tRPC
 * router (the infinite query's cursor) and through `GET /api/v1/approvals` over real HTTP on loopback, with
 * no duplicate and no gap, also while approvals close between two pages; search and filters (workflow,
 * step, age, assigned to me); and the log-based `pendingApprovals` gives what folding every run gives.
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
import { openHarness, waitForEvent, type Harness } from '@/server/testing/engineHarness';
import { links } from '@/server/testing/given';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';
import { createApprovalInbox, type InboxItem } from './index';

let h: Harness;
let server: http.Server;
let base: string;
let annaKey = '';
const anna: Actor = { kind: 'user', id: 'anna', name: 'anna', roles: ['approver'] };
const admin: Actor = { kind: 'user', id: 'root', name: 'root', roles: ['admin'] };
const api = (actor: Actor) => createCaller(createContextInner({ actor, services: { spine: h.spine, engine: h.service } }));

/** Runs started, by workflow: `gate` waits for one approver; `books` for an operator, then has a four-eyes gate. */
const runs = { gate: [] as string[], books: [] as string[] };
let cutoffMs = 0;

async function startMany(slug: 'gate' | 'books', n: number, intent: (i: number) => string) {
  for (let i = 0; i < n; i += 20)
    runs[slug].push(...(await Promise.all(Array.from({ length: Math.min(20, n - i) }, (_, j) => h.service.startRun(slug, { input: {}, intent: intent(i + j) }, 'olga')))).map((r) => r.runId));
}

beforeAll(async () => {
  h = await openHarness();
  const auth = createAuthService({ db: h.db, spine: h.spine });
  annaKey = (await auth.createKey({ name: 'anna', scopes: { roles: ['approver'] } }, SYSTEM_ACTOR)).secret;
  await h.service.workflows.create({
    name: 'Gate', slug: 'gate',
    document: {
      formatVersion: 1,
      nodes: [{ id: 'start', kind: 'trigger' }, { id: 'sign-off', kind: 'approval', config: { instructions: 'Check the order' } }, { id: 'done', kind: 'end' }, { id: 'no', kind: 'end', config: { outcome: 'failure' } }],
      edges: links(['start', 'sign-off'], ['sign-off', 'done', 'approved'], ['sign-off', 'no', 'rejected']),
    } as never,
  });
  await h.service.publishWorkflow('gate');
  await h.service.workflows.create({
    name: 'Books', slug: 'books',
    document: {
      formatVersion: 1,
      nodes: [
        { id: 'start', kind: 'trigger' }, { id: 'ledger', kind: 'approval', config: { role: 'operator', slaMs: 86_400_000, onLapse: 'reject' } },
        { id: 'done', kind: 'end' }, { id: 'no', kind: 'end', config: { outcome: 'failure' } },
      ],
      edges: links(['start', 'ledger'], ['ledger', 'done', 'approved'], ['ledger', 'no', 'rejected']),
    } as never,
  });
  await h.service.publishWorkflow('books');
  // 120 gate runs (the first 100 before the cutoff), 80 books runs with an SLA: 200 pending approvals.
  await startMany('gate', 100, (i) => `Order ${i} of office chairs`);
  cutoffMs = Date.now();
  while (Date.now() <= cutoffMs + 2) await new Promise((r) => setImmediate(r));
  await startMany('gate', 20, (i) => `Order ${100 + i} of standing desks`);
  await startMany('books', 80, (i) => `Book invoice ${i}`);
  await Promise.all([...runs.gate, ...runs.books].map((id) => waitForEvent(h.spine, id, (e) => e.type === 'approval.requested')));

  server = createNodeServer(v1Routes(async () => ({ spine: h.spine, maxPayloadBytes: 64 * 1024, auth, engine: h.service })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
}, 120_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

/** Every page from the first, following nextCursor. */
async function allPages(read: (cursor: string | null) => Promise<{ approvals: InboxItem[]; nextCursor: string | null }>) {
  const pages: InboxItem[][] = [];
  for (let cursor: string | null = null; ; ) {
    const page = await read(cursor);
    pages.push(page.approvals);
    if (!page.nextCursor) return pages;
    expect(pages.length).toBeLessThan(100);
    cursor = page.nextCursor;
  }
}

const ours = (a: { runId: string }) => runs.gate.includes(a.runId) || runs.books.includes(a.runId);

describe(`approvals inbox at scale (${testDbKind()})`, () => {
  it('200 pending: pages of 25 through tRPC, in order, no duplicate, no gap; counts and filter choices over all of them', async () => {
    const first = await api(admin).approvals.inbox({ limit: 25 });
    expect(first.approvals).toHaveLength(25);
    expect(first.total).toBe(200);
    expect(first.decidable).toBe(200);
    expect(first.facets.workflows).toEqual([{ slug: 'books', count: 80 }, { slug: 'gate', count: 120 }]);
    expect(first.facets.steps).toEqual([{ workflowSlug: 'books', nodeId: 'ledger', count: 80 }, { workflowSlug: 'gate', nodeId: 'sign-off', count: 120 }]);
    // Due soonest first: every books approval has an SLA, the gate ones have none.
    expect(first.approvals.every((a) => a.workflowSlug === 'books' && a.dueAt !== null)).toBe(true);

    const pages = await allPages((cursor) => api(admin).approvals.inbox({ limit: 25, cursor }));
    expect(pages.map((p) => p.length)).toEqual([25, 25, 25, 25, 25, 25, 25, 25]);
    const ids = pages.flat().map((a) => a.approvalId);
    expect(new Set(ids).size).toBe(200);
    expect(new Set(ids)).toEqual(new Set([...runs.gate.map((r) => `${r}:sign-off`), ...runs.books.map((r) => `${r}:ledger`)]));
    const keys = pages.flat().map((a) => `${a.dueAt ?? '~'} ${a.approvalId}`);
    expect(keys).toEqual([...keys].sort());
    expect(pages.flat().find((a) => a.runId === runs.gate[0])).toMatchObject({ intent: 'Order 0 of office chairs', startedBy: 'olga', instructions: 'Check the order', role: 'approver', canDecide: true });
  });

  it('approvals that close between two pages neither repeat nor push another one out', async () => {
    const first = await api(anna).approvals.inbox({ limit: 30, workflow: 'gate' });
    const seen = first.approvals.map((a) => a.approvalId);
    // Two approvals on the first page and two on the next (office chairs, all of them) close in between:
    // three are decided, one run is cancelled.
    const next = await api(anna).approvals.inbox({ limit: 30, workflow: 'gate', cursor: first.nextCursor });
    const chairs = (xs: InboxItem[]) => xs.filter((a) => a.intent?.includes('office chairs'));
    const closing = [...chairs(first.approvals).slice(0, 2), ...chairs(next.approvals).slice(0, 2)];
    expect(closing).toHaveLength(4);
    for (const a of closing.slice(0, 3)) await h.service.decideApproval(a.approvalId, { decision: 'approve' }, { name: 'anna', roles: ['approver'] });
    await h.service.cancelRun(closing[3]!.runId, 'olga');
    const rest = await allPages((cursor) => api(anna).approvals.inbox({ limit: 30, workflow: 'gate', cursor: cursor ?? first.nextCursor }));
    const after = rest.flat().map((a) => a.approvalId);
    expect(after.some((id) => seen.includes(id))).toBe(false);
    expect(after).not.toContain(closing[2]!.approvalId);
    expect(after).not.toContain(closing[3]!.approvalId);
    expect(seen.length + after.length).toBe(120 - 2);
    expect((await api(anna).approvals.inbox({ workflow: 'gate' })).total).toBe(116);
  });

  it('search, workflow, step, age and assigned-to-me filters, alone and together', async () => {
    const everything = async (q: Parameters<ReturnType<typeof api>['approvals']['inbox']>[0], actor = admin) =>
      (await allPages((cursor) => api(actor).approvals.inbox({ ...q, limit: 50, cursor }))).flat();
    expect((await everything({ search: 'standing desks' })).map((a) => a.intent).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `Order ${100 + i} of standing desks`).sort());
    expect(await everything({ search: 'STANDING chairs' })).toEqual([]);
    expect((await everything({ workflow: 'books' })).length).toBe(80);
    expect((await everything({ step: 'ledger' })).every((a) => a.workflowSlug === 'books')).toBe(true);
    expect(await everything({ workflow: 'gate', step: 'ledger' })).toEqual([]);
    // Assigned to me: anna holds approver, not operator; an admin may decide all of them.
    const mine = await everything({ assignedToMe: true }, anna);
    expect(mine.length).toBe(116);
    expect(mine.every((a) => a.role === 'approver' && a.canDecide)).toBe(true);
    expect((await everything({ assignedToMe: true })).length).toBe(196);
    // Older than: an inbox whose clock is an hour past the cutoff sees the first hundred (less the four closed) as older than an hour.
    const later = createApprovalInbox({ engine: h.service, spine: h.spine, now: () => cutoffMs + 3_600_000 });
    const old = await later.list(admin, { olderThanMs: 3_600_000, limit: 500 });
    expect(old.total).toBe(96);
    expect(old.approvals.every((a) => a.intent?.includes('office chairs'))).toBe(true);
    expect((await later.list(admin, { olderThanMs: 3_600_000, search: 'desks' })).total).toBe(0);
  });

  it('GET /api/v1/approvals pages with limit and cursor over real HTTP, filters by query, refuses a bad cursor', async () => {
    const get = async (qs: string) => {
      const res = await fetch(`${base}/approvals${qs}`, { headers: { authorization: `Bearer ${annaKey}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    const pages: InboxItem[][] = [];
    let qs = '?limit=40';
    for (;;) {
      const { status, body } = await get(qs);
      expect(status).toBe(200);
      pages.push(body.approvals);
      if (!body.nextCursor) break;
      qs = `?limit=40&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    const ids = pages.flat().map((a) => a.approvalId);
    expect(pages.map((p) => p.length)).toEqual([40, 40, 40, 40, 36]);
    expect(new Set(ids).size).toBe(196);
    // The default page holds 100; filters are query parameters.
    expect((await get('')).body.approvals).toHaveLength(100);
    expect((await get('?workflow=books&assignedToMe=true')).body).toMatchObject({ approvals: [], total: 0, nextCursor: null });
    expect((await get('?q=desks&olderThan=1d')).body.total).toBe(0);
    expect((await get('?q=desks&olderThan=0s')).body.total).toBe(20);
    expect((await get('?step=ledger&limit=500')).body.approvals.filter(ours)).toHaveLength(80);
    for (const bad of ['?cursor=nonsense', '?limit=0', '?limit=501', '?olderThan=soon', '?surprise=1'])
      expect((await get(bad)).status, bad).toBe(400);
    expect((await get('?cursor=nonsense')).body.error.code).toBe('approvals.invalid_cursor');
  });

  it('pendingApprovals read from the log equals what folding every active run says', async () => {
    const fromLog = await h.service.pendingApprovals();
    const active = await h.spine.listRuns({ statuses: ['running', 'waiting', 'queued'], limit: 10_000 });
    const folded: { approvalId: string; decisions: number; role: string; dueAt: string | null; startedBy: string }[] = [];
    for (const r of active) {
      const f = await h.service.fold(r.id);
      for (const [approvalId, a] of Object.entries(f!.state.approvals))
        if (a.status === 'pending') folded.push({ approvalId, decisions: a.decisions.length, role: a.role, dueAt: a.dueAt, startedBy: f!.state.startedBy });
    }
    const view = (xs: { approvalId: string; role: string; dueAt: string | null; startedBy: string }[]) => xs.map((x) => `${x.approvalId} ${x.role} ${x.dueAt} ${x.startedBy}`).sort();
    expect(view(fromLog)).toEqual(view(folded));
    expect(fromLog.length).toBe(196);
  });
});
