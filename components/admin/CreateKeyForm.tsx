'use client';
/**
 * A new API key for an agent or a script: a name, the event types it may publish and read, whether it
 * may start runs, and the roles it carries. The secret comes back once and is shown by SecretOnce.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ErrorNote, Field, inputClass, SubmitButton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { Role } from '@/server/auth/roles';
import { parsePatterns } from './patterns';
import { RolePicker } from './RolePicker';
import { SecretOnce } from './SecretOnce';

export function CreateKeyForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [publish, setPublish] = useState('');
  const [subscribe, setSubscribe] = useState('*');
  const [startRuns, setStartRuns] = useState(false);
  const [roles, setRoles] = useState<Role[]>([]);
  const [fresh, setFresh] = useState<{ name: string; secret: string } | null>(null);
  const create = useMutation(
    trpc.admin.keys.create.mutationOptions({
      onSuccess: (k) => {
        setFresh({ name: k.name, secret: k.secret });
        setName('');
        setPublish('');
        setSubscribe('*');
        setStartRuns(false);
        setRoles([]);
        void queryClient.invalidateQueries(trpc.admin.keys.list.queryFilter());
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    setFresh(null);
    create.mutate({ name, scopes: { publish: parsePatterns(publish), subscribe: parsePatterns(subscribe), startRuns, roles } });
  }
  return (
    <div className="space-y-4">
      {fresh && <SecretOnce name={fresh.name} secret={fresh.secret} onDone={() => setFresh(null)} />}
      <form onSubmit={submit} aria-label="Create API key" className="grid gap-4">
        <div className="grid gap-4 sm:grid-cols-3">
          <Field label="Key name" htmlFor="new-key-name" hint="Who uses it, e.g. “invoice agent”.">
            <input id="new-key-name" required maxLength={100} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
          </Field>
          <Field label="May publish" htmlFor="new-key-publish" hint="Event type patterns, e.g. invoice.*; empty: none.">
            <input id="new-key-publish" autoComplete="off" value={publish} onChange={(e) => setPublish(e.target.value)} className={inputClass} />
          </Field>
          <Field label="May read and subscribe to" htmlFor="new-key-subscribe" hint="* means every event type.">
            <input id="new-key-subscribe" autoComplete="off" value={subscribe} onChange={(e) => setSubscribe(e.target.value)} className={inputClass} />
          </Field>
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" className="accent-indigo-600" checked={startRuns} onChange={(e) => setStartRuns(e.target.checked)} />
          May start runs
        </label>
        <RolePicker legend="Roles the key carries" value={roles} onChange={setRoles} />
        {create.isError && <ErrorNote testId="create-key-error" error={create.error} />}
        <SubmitButton pending={create.isPending} pendingLabel="Creating…">
          Create key
        </SubmitButton>
      </form>
    </div>
  );
}
