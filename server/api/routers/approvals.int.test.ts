/**
 * The approvals inbox through the real router (createCaller) on the selected database, with people
 * signed in through the auth service: an operator starts a large procurement run, approvers see it arrive
 * on the live stream with its context and outcomes, decide it (the second of two simultaneous decisions
 * is refused), an auditor reads everything and may decide nothing, and the run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/auth/roles';
import { createAuthService, type AuthService } from '@/server/auth/service';
import { openHarness, waitForRun, type Harness } from '@/server/testing/engineHarness';
import { testDbKind } from '@/server/testing/testDb';
import type { ApprovalSignal } from './approvals';

let h: Harness;
let auth: AuthService;
const people: Record<string, Actor> = {};

async function person(email: string, roles: Actor['roles'][number][]): Promise<Actor> {
  await auth.createUser({ email, name: email.split('@')[0]!, password: 'correct horse battery', roles }, 'test');
  const { token } = await auth.signIn({ email, password: 'correct horse battery' });
  const actor = await auth.authenticate(new Request('http://spine.test/', { headers: { authorization: `Bearer ${token}` } }));
  if (!actor) throw new Error('sign-in did not authenticate');
  return actor;
}

const api = (who: string) => createCaller(createContextInner({ actor: people[who]!, services: { spine: h.spine, engine: h.service, auth } }));

beforeAll(async () => {
  h = await openHarness();
  auth = createAuthService({ db: h.db, spine: h.spine });
  people.olga = await person('olga@test.spine', ['operator']);
  people.anna = await person('anna@test.spine', ['approver']);
  people.ben = await person('ben@test.spine', ['approver']);
  people.audrey = await person('audrey@test.spine', ['auditor']);
});
afterAll(() => h.close());

/** Reads live signals until `until` holds (or the stream ends), leaving the stream open. */
async function collect(stream: AsyncIterator<unknown>, until: (s: ApprovalSignal[]) => boolean): Promise<ApprovalSignal[]> {
  const seen: ApprovalSignal[] = [];
  while (!until(seen)) {
    const next = await stream.next();
    if (next.done) break;
    // Tracked items reach a server-side caller as tRPC's envelope: [id, data, marker].
    seen.push((next.value as [string, ApprovalSignal])[1]);
  }
  return seen;
}

describe(`approvals router (${testDbKind()})`, () => {
  it('a large purchase waits for two approvals that arrive live, carry their context, and are decided once each', async () => {
    const { head } = await api('anna').approvals.inbox();
    const ac = new AbortController();
    const auditor = createCaller(createContextInner({ actor: people.audrey!, services: { spine: h.spine, engine: h.service, auth } }), { signal: ac.signal });
    const stream = (await auditor.approvals.live({ lastEventId: String(head) }))[Symbol.asyncIterator]();
    const firstRequest = collect(stream, (s) => s.some((x) => x.type === 'approval.requested'));

    const { runId } = await h.service.startRun('procurement', { input: { amount: 12_000, quantity: 3 }, intent: 'Buy 3 laptops <b>now</b>' }, people.olga!.name);
    const [requested] = (await firstRequest).filter((s) => s.type === 'approval.requested');
    expect(requested).toMatchObject({ runId, approvalId: `${runId}:contract-approval` });
    const approvalId = requested!.approvalId!;

    // The approver may decide; the auditor sees it and may not.
    expect((await api('anna').approvals.inbox()).approvals.find((a) => a.approvalId === approvalId)).toMatchObject({ canDecide: true, whyNot: null, intent: 'Buy 3 laptops <b>now</b>', startedBy: 'olga@test.spine' });
    expect((await api('audrey').approvals.inbox()).approvals.find((a) => a.approvalId === approvalId)).toMatchObject({ canDecide: false, whyNot: 'auth.forbidden' });

    const detail = await api('anna').approvals.get({ approvalId });
    expect(detail).toMatchObject({ label: 'Contract approval', status: 'pending', run: { intent: 'Buy 3 laptops <b>now</b>', workflowSlug: 'procurement', input: { amount: 12_000, quantity: 3 } }, envelope: { runId } });
    expect(detail.path.map((s) => s.kind === 'agent' && s.agent)).toEqual(['legal-review']);
    expect(detail.outcomes.approved.map((s) => s.nodeId)).toEqual(['amount']);
    expect(detail.outcomes.rejected.map((s) => [s.nodeId, s.detail])).toEqual([['contract-rejected', 'failure']]);

    // The auditor, the requester and anyone not signed in are refused; the stream is not theirs either.
    await expect(api('audrey').approvals.decide({ approvalId, decision: 'approve' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(api('olga').approvals.inbox()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const anonymous = createCaller(createContextInner({ actor: null, services: { spine: h.spine, engine: h.service, auth } }));
    await expect(anonymous.approvals.inbox()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    // Two approvers at the same instant: exactly one decision counts, the other is told it was too late.
    const both = await Promise.allSettled([
      api('anna').approvals.decide({ approvalId, decision: 'approve', comment: 'terms ok' }),
      api('ben').approvals.decide({ approvalId, decision: 'approve', comment: 'me too' }),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT', cause: { code: 'approval.already_decided' } } });
    const winner = both[0]!.status === 'fulfilled' ? 'anna' : 'ben';
    const other = winner === 'anna' ? 'ben' : 'anna';

    // The decision and the next approval arrive live; the closed card now says who decided.
    const later = await collect(stream, (s) => s.some((x) => x.type === 'approval.requested'));
    ac.abort();
    expect(later.find((s) => s.type === 'approval.decided')).toMatchObject({ approvalId, actor: `${winner}@test.spine`, decision: 'approve' });
    const extra = later.find((s) => s.type === 'approval.requested')!.approvalId!;
    expect(extra).toBe(`${runId}:extra-approval`);
    expect(await api('audrey').approvals.get({ approvalId })).toMatchObject({ status: 'approved', canDecide: false, whyNot: 'auth.forbidden', decisions: [{ actor: `${winner}@test.spine` }] });
    expect(await api(other).approvals.get({ approvalId })).toMatchObject({ canDecide: false, whyNot: 'approval.already_decided' });
    await expect(api(other).approvals.decide({ approvalId, decision: 'reject' })).rejects.toMatchObject({ code: 'CONFLICT', cause: { code: 'approval.already_decided' } });

    // The second approval shows the first in its reasoning path, then completes the run.
    const second = await api(other).approvals.get({ approvalId: extra });
    expect(second.path.map((s) => s.kind)).toEqual(['agent', 'approval', 'route']);
    expect(second.path[1]).toMatchObject({ kind: 'approval', actor: `${winner}@test.spine`, comment: winner === 'anna' ? 'terms ok' : 'me too' });
    expect(second.outcomes.approved.map((s) => s.nodeId)).toEqual(['approved']);
    await api(other).approvals.decide({ approvalId: extra, decision: 'approve', comment: 'budget ok' });

    const events = await waitForRun(h.spine, runId);
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(events.filter((e) => e.type === 'approval.decided').map((e) => [e.source.name, (e.payload as { comment?: string }).comment])).toEqual([
      [`${winner}@test.spine`, winner === 'anna' ? 'terms ok' : 'me too'],
      [`${other}@test.spine`, 'budget ok'],
    ]);
    expect((await api('anna').approvals.inbox()).approvals.some((a) => a.runId === runId)).toBe(false);
  });

  it('the requester of a run may not decide its approval, even holding the approver role', async () => {
    people.paula = await person('paula@test.spine', ['operator', 'approver']);
    const { runId } = await h.service.startRun('procurement', { input: { amount: 5 } }, people.paula.name);
    const approvalId = `${runId}:contract-approval`;
    await expect.poll(async () => (await api('paula').approvals.inbox()).approvals.find((a) => a.approvalId === approvalId)?.whyNot, { timeout: 10_000 }).toBe('approval.requester');
    await expect(api('paula').approvals.decide({ approvalId, decision: 'approve' })).rejects.toMatchObject({ code: 'FORBIDDEN', cause: { code: 'approval.requester' } });
    await h.service.cancelRun(runId, 'test');
  });

  it('an unknown approval is not found', async () => {
    await expect(api('anna').approvals.get({ approvalId: 'nope:contract-approval' })).rejects.toMatchObject({ code: 'NOT_FOUND', cause: { code: 'approval.not_found' } });
  });
});
