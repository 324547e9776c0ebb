'use client';
/**
 * Change one's own password. The server checks the current one, ends every session of this person, and
 * the form then sends them to sign in again with the new one.
 */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ErrorNote, Field, inputClass, SubmitButton } from '@/components/ui';
import { useTRPC } from '@/components/trpc/client';
import { signOut } from './signOut';

const MIN_LENGTH = 10;

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation(
    trpc.session.changePassword.mutationOptions({
      // Every session of this person has ended on the server, this one included: clear the cookie too.
      onSuccess: () => signOut('passwordChanged'),
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== repeat) return setMismatch(true);
    setMismatch(false);
    change.mutate({ current, next });
  }

  return (
    <form onSubmit={submit} className="grid max-w-md gap-4" aria-label="Change password">
      <Field label="Current password" htmlFor="pw-current">
        <input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} className={inputClass} />
      </Field>
      <Field label="New password" htmlFor="pw-next" hint={`At least ${MIN_LENGTH} characters.`}>
        <input id="pw-next" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} value={next} onChange={(e) => setNext(e.target.value)} className={inputClass} />
      </Field>
      <Field label="Repeat new password" htmlFor="pw-repeat">
        <input id="pw-repeat" type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} className={inputClass} />
      </Field>
      {mismatch && <ErrorNote message="The new passwords differ." code="password.mismatch" />}
      {change.isError && <ErrorNote error={change.error} testId="password-error" />}
      <SubmitButton pending={change.isPending} pendingLabel="Changing…">
        Change password
      </SubmitButton>
    </form>
  );
}
