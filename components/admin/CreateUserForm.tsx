'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ErrorNote, Field, inputClass, SubmitButton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import type { Role } from '@/server/auth/roles';
import { RolePicker } from './RolePicker';

/** A new person: email, name, an initial password to hand over, and their roles. */
export function CreateUserForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.admin.users.create.mutationOptions({
      onSuccess: (u) => {
        setCreated(u.email);
        setEmail('');
        setName('');
        setPassword('');
        setRoles([]);
        void queryClient.invalidateQueries(trpc.admin.users.list.queryFilter());
      },
    }),
  );
  function submit(e: FormEvent) {
    e.preventDefault();
    setCreated(null);
    create.mutate({ email, name, password, roles });
  }
  return (
    <form onSubmit={submit} aria-label="Create user" className="grid gap-4">
      <div className="grid gap-4 sm:grid-cols-3">
        <Field label="Email" htmlFor="new-user-email">
          <input id="new-user-email" type="email" required autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} className={inputClass} />
        </Field>
        <Field label="Name" htmlFor="new-user-name">
          <input id="new-user-name" required autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
        </Field>
        <Field label="Initial password" htmlFor="new-user-password" hint="At least 10 characters; they can change it in Settings.">
          <input id="new-user-password" type="password" required minLength={10} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} className={inputClass} />
        </Field>
      </div>
      <RolePicker legend="Roles" value={roles} onChange={setRoles} />
      {create.isError && <ErrorNote testId="create-user-error" error={create.error} />}
      {created && (
        <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
          Created {created}.
        </p>
      )}
      <SubmitButton pending={create.isPending} pendingLabel="Creating…">
        Create user
      </SubmitButton>
    </form>
  );
}
