/**
 * The audit router on the selected database, through the real router (createCaller): auditors read and
 * verify but change nothing, so signing a checkpoint by hand is refused to them (and to everyone but
 * admins) with FORBIDDEN and signs nothing; an admin's request signs the head.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCaller } from '@/server/api/root';
import { createContextInner } from '@/server/api/trpc';
import type { Actor } from '@/server/auth/roles';
import { openAudit, type Audit } from '@/server/audit';
import type { EngineService } from '@/server/engine';
import { openSpine, type Spine } from '@/server/spine';
import { freshDatabaseUrl, testDbKind } from '@/server/testing/testDb';

let spine: Spine | undefined;
let audit: Audit | undefined;
afterEach(async () => {
  audit?.stop();
  await spine?.close();
  spine = audit = undefined;
});

const person = (name: string, roles: Actor['roles']): Actor => ({ kind: 'user', id: name, name, roles });
/** The audit router needs only the spine. */
const callerAs = (s: Spine, actor: Actor) => createCaller(createContextInner({ actor, services: { spine: s, engine: undefined as unknown as EngineService } }));

describe(`audit router (${testDbKind()})`, () => {
  it('refuses signNow to auditors (and every role but admin) with FORBIDDEN, signing nothing; admins sign the head', async () => {
    spine = await openSpine({ databaseUrl: await freshDatabaseUrl() });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spine-audit-router-'));
    audit = openAudit(spine, { keyFile: path.join(dir, 'key.pem'), journalFile: path.join(dir, 'journal.jsonl'), everyEvents: 100_000, everyMs: 3_600_000 });
    await spine.publish({ type: 'ledger.entry', payload: { i: 0 } });
    await audit.signNow(); // the first commit's checkpoint, so the counts below start settled
    for (let i = 1; i <= 5; i++) await spine.publish({ type: 'ledger.entry', payload: { i } });
    const before = (await audit.checkpoints()).length;
    const head = await spine.head();

    const auditor = callerAs(spine, person('aude', ['auditor']));
    await expect(auditor.audit.signNow()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Reading is what an auditor does.
    expect(await auditor.audit.verify({})).toMatchObject({ ok: true });
    for (const role of ['architect', 'operator', 'approver'] as const)
      await expect(callerAs(spine, person(role, [role])).audit.signNow()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await audit.checkpoints()).length).toBe(before);
    expect(await spine.head()).toBe(head);

    const signed = await callerAs(spine, person('ada', ['admin'])).audit.signNow();
    expect(signed).toMatchObject({ seq: head, keyId: audit.keyId, reason: 'manual' });
    expect((await audit.checkpoints()).length).toBe(before + 1);
  });
});
