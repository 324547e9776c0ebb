/**
 * API v1 for automation over real HTTP on loopback, on the selected database: the run list (filters, a
 * keyset cursor that holds while runs start), the workflow library (create from a template or a
 * document, read and save the draft with 409 on a stale revision, publish, archive, restore, each
 * recorded with the caller as source), decided approvals (who, what, when, comment, run, step, paged)
 * and the envelope at a version. Every new route against every role, no credentials, and bad input
 * (malformed JSON, wrong filter values naming their parameter, unknown ids, huge bodies) that changes
 * nothing.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { ROLES, SYSTEM_ACTOR, type Role } from '@/server/auth/roles';
import { createNodeServer } from '@/server/http/nodeAdapter';
import { sessionApi } from '@/server/http/v1/session';
import { openHarness, waitForEvent, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import { v1Routes } from '@/server/testing/v1Routes';

let h: Harness;
let auth: AuthService;
let server: http.Server;
let origin: string;
const cookies: Partial<Record<Role, string>> = {};
/** `arch` carries the architect role, `ops` starts runs, `anna` approves, `narrow` reads only `case.*`. */
const keys: Record<'arch' | 'ops' | 'anna' | 'narrow', string> = { arch: '', ops: '', anna: '', narrow: '' };

type Who = Role | 'anonymous' | `key:${keyof typeof keys}`;
type Reply = { status: number; body: any };
async function call(who: Who, method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
  const headers: Record<string, string> = { origin };
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  if (who.startsWith('key:')) headers.authorization = `Bearer ${keys[who.slice(4) as keyof typeof keys]}`;
  else if (who !== 'anonymous') headers.cookie = cookies[who as Role]!;
  const res = await fetch(`${origin}/api/v1${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const start = async (slug: string, body: unknown): Promise<string> => {
  const r = await call('key:ops', 'POST', `/workflows/${slug}/runs`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body.runId as string;
};
const approvalOf = async (runId: string) => (await waitForEvent(h.spine, runId, (e) => e.type === 'approval.requested')).payload as { approvalId: string };

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  await auth.bootstrap({ demoUsers: true });
  const services = async () => ({ spine: h.spine, maxPayloadBytes: 64 * 1024, auth, engine: h.service, db: h.db });
  server = createNodeServer([{ method: 'POST', path: '/api/auth/sign-in', handler: sessionApi(services).signIn }, ...v1Routes(services)]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const role of ROLES) {
    const res = await fetch(`${origin}/api/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email: `${role}@demo.spine`, password: `spine-demo-${role}` }) });
    expect(res.status).toBe(200);
    cookies[role] = res.headers.get('set-cookie')!.split(';')[0]!;
  }
  keys.arch = (await auth.createKey({ name: 'arch', scopes: { roles: ['architect'] } }, SYSTEM_ACTOR)).secret;
  keys.ops = (await auth.createKey({ name: 'ops', scopes: { startRuns: true, roles: ['operator'] } }, SYSTEM_ACTOR)).secret;
  keys.anna = (await auth.createKey({ name: 'anna', scopes: { roles: ['approver'] } }, SYSTEM_ACTOR)).secret;
  keys.narrow = (await auth.createKey({ name: 'narrow', scopes: { subscribe: ['case.*'] } }, SYSTEM_ACTOR)).secret;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await h.close();
});

describe(`API v1 for automation (${testDbKind()})`, () => {
  it('authorization: reads for everyone signed in, workflow changes for architects, decided approvals for approvers and auditors; no credentials 401', async () => {
    const runId = await start('translation-after-sentiment', { input: { text: 'Thank you' } });
    await waitForRun(h.spine, runId);
    const w = await call('key:arch', 'POST', '/workflows', { name: 'Matrix', template: 'translation-after-sentiment' });
    expect(w.status).toBe(201);
    const everyone = [...ROLES, 'key:arch', 'key:narrow'] as Who[];
    const routes: { name: string; method: string; path: string; body?: unknown; allowed: Who[] }[] = [
      { name: 'list runs', method: 'GET', path: '/runs?limit=1', allowed: everyone },
      { name: 'envelope at a version', method: 'GET', path: `/runs/${runId}/envelope?version=1`, allowed: everyone },
      { name: 'replay a run', method: 'GET', path: `/runs/${runId}/replay`, allowed: everyone },
      { name: 'compare two runs', method: 'GET', path: `/runs/${runId}/compare/${runId}`, allowed: everyone },
      { name: 'fork a run', method: 'POST', path: `/runs/${runId}/fork`, body: { atSeq: (await h.service.runEvents(runId)).at(-1)!.seq }, allowed: ['admin', 'operator', 'key:ops'] },
      { name: 'read a draft', method: 'GET', path: `/workflows/${w.body.id}/draft`, allowed: everyone },
      { name: 'decided approvals', method: 'GET', path: '/approvals?status=decided', allowed: ['admin', 'approver', 'auditor'] },
      { name: 'create a workflow', method: 'POST', path: '/workflows', body: { name: 'Made by a role' }, allowed: ['admin', 'architect', 'key:arch'] },
      { name: 'save a draft', method: 'PUT', path: `/workflows/${w.body.id}/draft`, body: { document: w.body.draft, expectedRevision: 1 }, allowed: ['admin', 'architect', 'key:arch'] },
      { name: 'publish', method: 'POST', path: `/workflows/${w.body.id}/publish`, allowed: ['admin', 'architect', 'key:arch'] },
      { name: 'archive', method: 'POST', path: `/workflows/${w.body.id}/archive`, allowed: ['admin', 'architect', 'key:arch'] },
      { name: 'restore', method: 'POST', path: `/workflows/${w.body.id}/restore`, allowed: ['admin', 'architect', 'key:arch'] },
    ];
    for (const r of routes) {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const who of [...everyone, 'anonymous'] as Who[]) {
        const { status } = await call(who, r.method, r.path, r.body);
        // A stale revision (409) after the first allowed save is still "let in".
        got[who] = status === 401 ? '401' : status === 403 ? '403' : status < 300 || status === 409 ? 'allowed' : `unexpected ${status}`;
        want[who] = who === 'anonymous' ? '401' : r.allowed.includes(who) ? 'allowed' : '403';
      }
      expect(got, r.name).toEqual(want);
    }
  });

  it('GET /runs: newest first, filtered by workflow, status, key and start time; a keyset cursor that runs starting meanwhile do not shift', async () => {
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await start('translation-after-sentiment', { input: { text: `Thank you ${i}` }, key: i < 3 ? 'doc:a' : 'doc:b' }));
    for (const id of ids) await waitForRun(h.spine, id);
    const waiting = await start('procurement', { input: { amount: 500, quantity: 1 } });
    await approvalOf(waiting);

    // Two at a time, with a run started between the pages: the pages join up with no repeat and no gap.
    const first = await call('auditor', 'GET', `/runs?workflow=translation-after-sentiment&startedAfter=${new Date(t0).toISOString()}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[4], ids[3]]);
    expect(first.body.runs[0]).toMatchObject({ workflow: { slug: 'translation-after-sentiment', name: 'Translation after sentiment' }, status: 'completed', key: 'doc:b', startedBy: 'key:ops', startedAt: expect.any(String), endedAt: expect.any(String), error: null });
    const late = await start('translation-after-sentiment', { input: { text: 'Started while paging' } });
    const seen: string[] = [...first.body.runs.map((r: { id: string }) => r.id)];
    let cursor: string | null = first.body.nextCursor;
    while (cursor) {
      const page = await call('key:narrow', 'GET', `/runs?workflow=translation-after-sentiment&startedAfter=${encodeURIComponent(new Date(t0).toISOString())}&limit=2&cursor=${cursor}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.runs.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    await waitForRun(h.spine, late);
    const again = await call('auditor', 'GET', `/runs?workflow=translation-after-sentiment&startedAfter=${new Date(t0).toISOString()}&limit=200`);
    expect(again.body.runs.map((r: { id: string }) => r.id)).toEqual([late, ...[...ids].reverse()]);
    expect(again.body.nextCursor).toBeNull();

    const byKey = await call('auditor', 'GET', '/runs?key=doc:a');
    expect(byKey.body.runs.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
    const waitingOnly = await call('auditor', 'GET', `/runs?status=waiting&startedAfter=${new Date(t0).toISOString()}`);
    expect(waitingOnly.body.runs.map((r: { id: string }) => r.id)).toEqual([waiting]);
    expect(waitingOnly.body.runs[0]).toMatchObject({ status: 'waiting', waitingOn: [{ kind: 'approval', label: 'contract-approval' }], workflow: { slug: 'procurement' } });
    const several = await call('auditor', 'GET', `/runs?status=waiting,completed&startedAfter=${new Date(t0).toISOString()}`);
    expect(several.body.runs.map((r: { id: string }) => r.id).sort()).toEqual([waiting, late, ...ids].sort());
    // By id as well as by slug.
    const wf = await call('auditor', 'GET', '/workflows/procurement');
    expect((await call('auditor', 'GET', `/runs?workflow=${wf.body.id}&startedAfter=${new Date(t0).toISOString()}`)).body.runs.map((r: { id: string }) => r.id)).toEqual([waiting]);

    // The start-time window: at or after a run's start includes it, before it excludes it.
    const middle = again.body.runs.find((r: { id: string }) => r.id === ids[2]);
    const after = await call('auditor', 'GET', `/runs?startedAfter=${middle.startedAt}&limit=200`);
    expect(after.body.runs.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([ids[2], ids[3], ids[4], late, waiting]));
    expect(after.body.runs.every((r: { startedAt: string }) => r.startedAt >= middle.startedAt)).toBe(true);
    expect((await call('auditor', 'GET', `/runs?startedAfter=${middle.startedAt.slice(0, 10)}&limit=1`)).status).toBe(200);
    expect((await call('auditor', 'GET', `/runs?startedAfter=${encodeURIComponent(middle.startedAt.replace('Z', '+00:00'))}&limit=200`)).body.runs.map((r: { id: string }) => r.id)).toEqual(after.body.runs.map((r: { id: string }) => r.id));
    const before = await call('auditor', 'GET', `/runs?startedBefore=${middle.startedAt}&limit=200`);
    expect(before.body.runs.map((r: { id: string }) => r.id)).not.toContain(ids[2]);
    expect(before.body.runs.every((r: { startedAt: string }) => r.startedAt < middle.startedAt)).toBe(true);
  });

  it('GET /runs: a wrong filter value is 400 naming the parameter; an unknown workflow is 404', async () => {
    const cases: [string, number, string, string | undefined][] = [
      ['/runs?status=bogus', 400, 'request.invalid_query', 'status'],
      ['/runs?status=running,nope', 400, 'request.invalid_query', 'status'],
      ['/runs?startedAfter=yesterday', 400, 'request.invalid_query', 'startedAfter'],
      ['/runs?startedBefore=2026-13-45T99:00:00Z', 400, 'request.invalid_query', 'startedBefore'],
      ['/runs?startedBefore=2026-12-03T10:00:00', 400, 'request.invalid_query', 'startedBefore'],
      ['/runs?limit=0', 400, 'request.invalid_query', 'limit'],
      ['/runs?limit=201', 400, 'request.invalid_query', 'limit'],
      ['/runs?limit=ten', 400, 'request.invalid_query', 'limit'],
      ['/runs?cursor=not-a-cursor', 400, 'request.invalid_query', 'cursor'],
      ['/runs?key=', 400, 'request.invalid_query', 'key'],
      ['/runs?colour=blue', 400, 'request.invalid_query', undefined],
      ['/runs?status=running&status=waiting', 400, 'request.invalid_query', undefined],
      ['/runs?workflow=no-such-workflow', 404, 'workflow.not_found', undefined],
    ];
    for (const [path, status, code, param] of cases) {
      const r = await call('auditor', 'GET', path);
      expect({ path, status: r.status, code: r.body.error.code, param: r.body.error.details?.param }).toEqual({ path, status, code, param });
      if (param) expect(r.body.error.message, path).toContain(param);
    }
  });

  it('workflows: create from a template, read and save the draft (409 when stale), publish, run, archive (no runs), restore; each change on the log with the key as source', async () => {
    const created = await call('key:arch', 'POST', '/workflows', { name: 'Shipping for automation', slug: 'shipping-automation', template: 'shipping-label' });
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(String), slug: 'shipping-automation', name: 'Shipping for automation', draftRevision: 1, publishedVersion: null, archived: false } });
    expect(created.body.draft.nodes.length).toBeGreaterThan(2);
    expect(created.body.description).toMatch(/label is printed for the current address/);
    const id = created.body.id as string;
    expect(await call('key:arch', 'POST', '/workflows', { name: 'Again', slug: 'shipping-automation' })).toMatchObject({ status: 409, body: { error: { code: 'workflow.slug_taken' } } });

    const draft = await call('auditor', 'GET', '/workflows/shipping-automation/draft');
    expect(draft.body).toMatchObject({ id, draftRevision: 1, draft: created.body.draft });
    const edited = { ...draft.body.draft, nodes: draft.body.draft.nodes.map((n: { id: string; label?: string }, i: number) => (i === 0 ? { ...n, label: 'Edited over the API' } : n)) };
    expect(await call('key:arch', 'PUT', `/workflows/${id}/draft`, { document: edited, expectedRevision: 1 })).toEqual({ status: 200, body: { draftRevision: 2 } });
    const stale = await call('key:arch', 'PUT', `/workflows/${id}/draft`, { document: draft.body.draft, expectedRevision: 1 });
    expect(stale).toMatchObject({ status: 409, body: { error: { code: 'workflow.draft_conflict', details: { currentRevision: 2 } } } });
    expect((await call('auditor', 'GET', `/workflows/${id}/draft`)).body).toMatchObject({ draftRevision: 2, draft: { nodes: expect.arrayContaining([expect.objectContaining({ label: 'Edited over the API' })]) } });

    // Not published yet: no run.
    expect(await call('key:ops', 'POST', `/workflows/${id}/runs`, { input: {} })).toMatchObject({ status: 404, body: { error: { code: 'workflow.not_published' } } });
    const published = await call('key:arch', 'POST', `/workflows/${id}/publish`, { summary: 'First, by a script' });
    expect(published).toMatchObject({ status: 200, body: { version: 1 } });
    expect((await call('auditor', 'GET', `/workflows/${id}`)).body).toMatchObject({ slug: 'shipping-automation', version: 1, versions: [{ version: 1, summary: 'First, by a script', createdBy: 'key:arch' }] });
    // A body is optional on publish.
    expect(await call('key:arch', 'POST', `/workflows/${id}/publish`)).toMatchObject({ status: 200, body: { version: 2 } });
    await waitForRun(h.spine, await start('shipping-automation', { input: { address: 'Main Street 1' } }));

    expect(await call('key:arch', 'POST', `/workflows/${id}/archive`)).toMatchObject({ status: 200, body: { id, archived: true } });
    expect(await call('key:ops', 'POST', `/workflows/${id}/runs`, { input: {} })).toMatchObject({ status: 409, body: { error: { code: 'workflow.archived' } } });
    expect(await call('key:arch', 'POST', `/workflows/${id}/restore`)).toMatchObject({ status: 200, body: { id, archived: false } });
    await waitForRun(h.spine, await start('shipping-automation', { input: { address: 'Main Street 2' } }));

    const log = (await h.spine.read({ after: 0, limit: 10_000, filter: { key: `workflow:${id}` } })).filter((e) => e.type.startsWith('workflow.'));
    expect(log.map((e) => e.type)).toEqual(['workflow.created', 'workflow.draft_saved', 'workflow.published', 'workflow.published', 'workflow.archived', 'workflow.restored']);
    expect(log.every((e) => e.source.kind === 'apiKey' && e.source.name === 'key:arch')).toBe(true);
    expect(log[0]!.payload).toMatchObject({ workflowId: id, from: { kind: 'template', template: 'shipping-label' } });
    expect(log[1]!.payload).toMatchObject({ saves: 1, fromRevision: 1, revision: 2, diff: { nodes: { changed: 1 } } });

    // A person is recorded as a person; a document makes an import.
    const doc = { formatVersion: 1, nodes: [{ id: 'start', kind: 'trigger' }, { id: 'done', kind: 'end' }], edges: [{ id: 'e1', source: 'start', target: 'done' }] };
    const imported = await call('architect', 'POST', '/workflows', { name: 'Imported', document: doc });
    expect(imported).toMatchObject({ status: 201, body: { draftRevision: 1, draft: { nodes: [{ id: 'start' }, { id: 'done' }] } } });
    const [made] = (await h.spine.read({ after: 0, limit: 10, filter: { key: `workflow:${imported.body.id}` } })).filter((e) => e.type === 'workflow.created');
    expect(made).toMatchObject({ source: { kind: 'user', name: 'architect@demo.spine' }, payload: { from: { kind: 'import' } } });
  });

  it('workflows: bad input is a clear 4xx and changes nothing', async () => {
    const blank = await call('key:arch', 'POST', '/workflows', { name: 'Blank for bad input' });
    expect(blank.status).toBe(201);
    const id = blank.body.id as string;
    const huge = JSON.stringify({ name: 'Huge', description: 'x'.repeat(1024 * 1024 + 10) });
    const before = await h.spine.head();
    const cases: [string, string, { body?: unknown; raw?: string }, number, string][] = [
      ['POST', '/workflows', { raw: '{"name": ' }, 400, 'request.malformed_json'],
      ['POST', '/workflows', { raw: '' }, 400, 'request.empty_body'],
      ['POST', '/workflows', { body: {} }, 400, 'workflow.invalid_request'],
      ['POST', '/workflows', { body: { name: 'x', colour: 'blue' } }, 400, 'workflow.invalid_request'],
      ['POST', '/workflows', { body: { name: 'x', template: 'no-such-template' } }, 400, 'workflow.unknown_template'],
      ['POST', '/workflows', { body: { name: 'x', document: { formatVersion: 2, nodes: [], edges: [] } } }, 400, 'workflow.invalid_request'],
      ['POST', '/workflows', { body: { name: 'x', slug: 'Not A Slug' } }, 400, 'workflow.invalid_request'],
      ['POST', '/workflows', { raw: huge }, 413, 'request.too_large'],
      ['PUT', `/workflows/${id}/draft`, { raw: '{' }, 400, 'request.malformed_json'],
      ['PUT', `/workflows/${id}/draft`, { body: { document: blank.body.draft } }, 400, 'workflow.invalid_request'],
      ['PUT', `/workflows/${id}/draft`, { body: { document: { nodes: 'none' }, expectedRevision: 1 } }, 400, 'workflow.invalid_request'],
      ['PUT', `/workflows/${id}/draft`, { raw: JSON.stringify({ expectedRevision: 1, document: { formatVersion: 1, nodes: [], edges: [], pad: 'x'.repeat(1024 * 1024) } }) }, 413, 'request.too_large'],
      ['PUT', '/workflows/no-such-workflow/draft', { body: { document: blank.body.draft, expectedRevision: 1 } }, 404, 'workflow.not_found'],
      ['GET', '/workflows/no-such-workflow/draft', {}, 404, 'workflow.not_found'],
      ['POST', '/workflows/no-such-workflow/publish', {}, 404, 'workflow.not_found'],
      ['POST', '/workflows/no-such-workflow/archive', {}, 404, 'workflow.not_found'],
      ['POST', '/workflows/no-such-workflow/restore', {}, 404, 'workflow.not_found'],
      ['POST', `/workflows/${id}/publish`, { body: { summary: 1 } }, 400, 'workflow.invalid_request'],
      ['POST', `/workflows/${id}/publish`, { raw: '{"summary"' }, 400, 'request.malformed_json'],
      // A blank draft has no trigger: publishing it is refused with the validator's problems.
      ['POST', `/workflows/${id}/publish`, {}, 400, 'workflow.invalid'],
    ];
    for (const [method, path, init, status, code] of cases) {
      const r = await call('key:arch', method, path, init.body, init.raw);
      expect({ method, path, status: r.status, code: r.body?.error?.code, message: typeof r.body?.error?.message }).toEqual({ method, path, status, code, message: 'string' });
    }
    const invalid = await call('key:arch', 'POST', `/workflows/${id}/publish`);
    expect(invalid.body.error.details.problems.length).toBeGreaterThan(0);
    expect(await h.spine.head()).toBe(before);
    expect((await call('auditor', 'GET', `/workflows/${id}/draft`)).body).toMatchObject({ draftRevision: 1, publishedVersion: null });
  });

  it('GET /approvals?status=decided: who decided what, when, with which comment, on which run and step; newest first, paged, filtered', async () => {
    const approved = await start('procurement', { input: { amount: 500, quantity: 1 }, intent: 'Buy a chair' });
    const rejected = await start('procurement', { input: { amount: 700, quantity: 1 }, intent: 'Buy a lamp' });
    const a1 = await approvalOf(approved);
    const a2 = await approvalOf(rejected);
    expect(await call('approver', 'POST', `/approvals/${encodeURIComponent(a1.approvalId)}/decision`, { decision: 'approve', comment: 'within budget' })).toMatchObject({ status: 200 });
    expect(await call('key:anna', 'POST', `/approvals/${encodeURIComponent(a2.approvalId)}/decision`, { decision: 'reject', comment: 'not needed' })).toMatchObject({ status: 200 });
    await waitForRun(h.spine, rejected);

    const page = await call('auditor', 'GET', '/approvals?status=decided&workflow=procurement&limit=1');
    expect(page.status).toBe(200);
    expect(page.body.approvals).toEqual([
      {
        seq: expect.any(Number), approvalId: a2.approvalId, decision: 'reject', comment: 'not needed', decidedBy: 'key:anna', source: { kind: 'apiKey', name: 'key:anna' }, auto: false, vote: 1,
        decidedAt: expect.any(String), run: { id: rejected, status: expect.any(String), startedBy: 'key:ops' },
        workflow: { id: expect.any(String), slug: 'procurement', name: 'Procurement', version: 1 }, step: { nodeId: 'contract-approval', label: 'Contract approval' },
      },
    ]);
    expect(Date.parse(page.body.approvals[0].decidedAt)).toBeGreaterThan(Date.now() - 60_000);
    const next = await call('approver', 'GET', `/approvals?status=decided&workflow=procurement&limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.approvals[0]).toMatchObject({ approvalId: a1.approvalId, decision: 'approve', comment: 'within budget', decidedBy: 'approver@demo.spine', source: { kind: 'user' } });
    expect(next.body.approvals[0].seq).toBeLessThan(page.body.approvals[0].seq);

    const only = async (q: string) => (await call('auditor', 'GET', `/approvals?status=decided&${q}`)).body.approvals.map((a: { approvalId: string }) => a.approvalId);
    expect(await only('decision=reject&workflow=procurement')).toEqual([a2.approvalId]);
    expect(await only(`runId=${approved}`)).toEqual([a1.approvalId]);
    expect(await only('decidedBy=key:anna&step=contract-approval')).toEqual([a2.approvalId]);
    expect(await only('workflow=translation-after-sentiment')).toEqual([]);

    for (const [q, param] of [['decision=maybe', 'decision'], ['limit=0', 'limit'], ['cursor=nope', undefined], ['q=chair', undefined], ['assignedToMe=true', undefined]] as const) {
      const r = await call('auditor', 'GET', `/approvals?status=decided&${q}`);
      expect({ q, status: r.status, param: r.body.error.details?.param }).toEqual({ q, status: 400, param });
    }
    expect((await call('auditor', 'GET', '/approvals?status=bogus')).body.error).toMatchObject({ code: 'request.invalid_query', details: { param: 'status' } });
  });

  it('GET /runs/{id}/replay: a finished run replays identically from its log; 404 for no such run', async () => {
    const runId = await start('procurement', { input: { amount: 500, quantity: 1 }, intent: 'Buy a chair' });
    const a = await approvalOf(runId);
    expect((await call('approver', 'POST', `/approvals/${a.approvalId}/decision`, { decision: 'approve' })).status).toBe(200);
    await waitForRun(h.spine, runId);
    const r = await call('auditor', 'GET', `/runs/${runId}/replay`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ runId, identical: true, status: 'completed' });
    // The approver's vote and the agents' answers are inputs; dispatches, joins and the end are decisions.
    expect(r.body.decisions).toBeGreaterThan(3);
    expect(r.body.inputs).toBeGreaterThan(1);
    expect(r.body.mismatch).toBeUndefined();
    expect((await call('auditor', 'GET', '/runs/no-such-run/replay')).status).toBe(404);
  });

  it('GET /runs/{id}/compare/{otherId}: a run and its fork with another input, side by side, diverge at the first agent; 404 names the unknown run', async () => {
    const runId = await start('translation-after-sentiment', { input: { text: 'Thank you, great service', to: 'de' } });
    const end = (await waitForRun(h.spine, runId)).at(-1)!.seq;
    const fork = await call('key:ops', 'POST', `/runs/${runId}/fork`, { atSeq: end, input: { text: 'I will kill you' }, liveAgents: ['sentiment'] });
    expect(fork.status, JSON.stringify(fork.body)).toBe(201);
    await waitForRun(h.spine, fork.body.runId);
    const r = await call('auditor', 'GET', `/runs/${runId}/compare/${fork.body.runId}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ a: { runId, status: 'completed' }, b: { runId: fork.body.runId, status: 'failed', fork: { from: runId, atSeq: end } }, divergence: { nodeId: 'sentiment', differences: ['output'] } });
    expect(r.body.rows.find((x: { divergence: boolean }) => x.divergence).outputDiff.length).toBeGreaterThan(0);
    const same = await call('key:narrow', 'GET', `/runs/${runId}/compare/${runId}`);
    expect(same.status).toBe(200);
    // A key that may read none of the run's event types compares nothing of it.
    expect(same.body).toMatchObject({ a: { runId }, rows: [], divergence: null });
    const missing = await call('auditor', 'GET', `/runs/${runId}/compare/no-such-run`);
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'run.not_found', message: "No run 'no-such-run'" } } });
  });

  it('GET /runs/{id}/envelope?version=n: the envelope as it was then, with its history up to there; 404 for a version it never had, 400 for a bad one', async () => {
    const runId = await start('procurement', { input: { amount: 500, quantity: 1 }, intent: 'Buy a desk', constraints: { budget: 1000 } });
    await approvalOf(runId);
    const latest = (await call('auditor', 'GET', `/runs/${runId}/envelope`)).body;
    const n = latest.version as number;
    const patched = await call('key:ops', 'POST', `/runs/${runId}/context`, { patch: { note: 'checked by hand' }, expectedVersion: n });
    expect(patched).toMatchObject({ status: 200, body: { envelopeVersion: n + 1 } });

    const v1 = await call('auditor', 'GET', `/runs/${runId}/envelope?version=1`);
    const started = (await h.spine.read({ after: 0, limit: 10_000, filter: { runId, types: ['run.started'] } }))[0]!;
    expect(v1).toMatchObject({ status: 200, body: { runId, version: 1, intent: 'Buy a desk', constraints: { budget: 1000 }, openedSeq: started.seq, updatedSeq: started.seq, updatedAt: started.time } });
    expect(v1.body.state).not.toHaveProperty('note');
    expect(v1.body.history.entries.map((e: { seq: number }) => e.seq)).toEqual([started.seq]);
    const now = await call('auditor', 'GET', `/runs/${runId}/envelope?version=${n + 1}`);
    expect(now.body).toMatchObject({ version: n + 1, state: { note: 'checked by hand' }, openedSeq: started.seq, updatedSeq: patched.body.seq });
    expect(now.body.history.entries.at(-1)).toMatchObject({ seq: patched.body.seq, type: 'context.patched', source: { kind: 'apiKey', name: 'key:ops' } });
    expect(now.body.history.entries.every((e: { seq: number }) => e.seq <= patched.body.seq)).toBe(true);
    // The latest envelope and the one at the latest version agree.
    const { history: _h1, ...latestNow } = (await call('auditor', 'GET', `/runs/${runId}/envelope`)).body;
    const { history: _h2, updatedAt: _t, ...atVersion } = now.body;
    expect(atVersion).toEqual(latestNow);
    // A key that may read only case.* sees none of the run's engine events in the history, counted as omitted.
    const narrow = await call('key:narrow', 'GET', `/runs/${runId}/envelope?version=1`);
    expect(narrow.body.history).toEqual({ entries: [], omitted: 1 });

    const cases: [string, number, string][] = [
      [`/runs/${runId}/envelope?version=${n + 2}`, 404, 'envelope.version_not_found'],
      ['/runs/no-such-run/envelope?version=1', 404, 'envelope.not_found'],
      [`/runs/${runId}/envelope?version=0`, 400, 'request.invalid_query'],
      [`/runs/${runId}/envelope?version=-1`, 400, 'request.invalid_query'],
      [`/runs/${runId}/envelope?version=1.5`, 400, 'request.invalid_query'],
      [`/runs/${runId}/envelope?version=latest`, 400, 'request.invalid_query'],
      [`/runs/${runId}/envelope?at=1`, 400, 'request.invalid_query'],
    ];
    for (const [path, status, code] of cases) {
      const r = await call('auditor', 'GET', path);
      expect({ path, status: r.status, code: r.body.error.code }).toEqual({ path, status, code });
    }
    expect((await call('auditor', 'GET', `/runs/${runId}/envelope?version=0`)).body.error.details).toEqual({ param: 'version' });
  });
});
