'use client';
/**
 * Email and password. Posts to `/api/auth/sign-in`, which sets the HttpOnly session cookie, then loads
 * `next` afresh: a full page load, so nothing cached for a previous identity survives the switch. Wrong
 * credentials and the sign-in rate limit are shown as the server words them.
 */
import { useState, type FormEvent } from 'react';
import { Button, type CallError, Card, CardContent, Field, inputClass, responseError, SpineMark } from '@/components/ui';
import { safeNext } from './signInPath';

const NOTICES: Record<string, string> = {
  signedOut: 'You have signed out.',
  passwordChanged: 'Your password was changed. Sign in with the new one.',
};

export function SignInForm({ next, notice }: { next: string | null; notice: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<CallError | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      const res = await fetch('/api/auth/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
      if (!res.ok) {
        setError(await responseError(res));
        setPending(false);
        return;
      }
      window.location.assign(safeNext(next));
    } catch {
      setError({ code: 'network', message: 'Could not reach Spine. Check your connection and try again.', httpStatus: null });
      setPending(false);
    }
  }

  return (
    <Card className="mx-auto w-full max-w-sm">
      <CardContent className="space-y-5 py-6">
        <div className="flex flex-col items-center gap-2 text-center">
          <span className="grid size-9 place-items-center rounded-lg bg-indigo-600 text-white">
            <SpineMark width={22} height={22} />
          </span>
          <h1 className="text-lg font-semibold tracking-tight">Sign in to Spine</h1>
        </div>
        {notice && NOTICES[notice] && (
          <p role="status" className="rounded-md bg-zinc-100 px-3 py-2 text-sm text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">
            {NOTICES[notice]}
          </p>
        )}
        <form onSubmit={submit} className="space-y-4" aria-describedby={error ? 'sign-in-error' : undefined}>
          <Field label="Email" htmlFor="sign-in-email">
            <input id="sign-in-email" name="email" type="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} className={inputClass} />
          </Field>
          <Field label="Password" htmlFor="sign-in-password">
            <input id="sign-in-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} className={inputClass} />
          </Field>
          {error && (
            <p
              id="sign-in-error"
              role="alert"
              data-testid="sign-in-error"
              data-code={error.code}
              className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300"
            >
              {error.httpStatus === 429 ? `${error.message}. This protects accounts from password guessing.` : error.message}
            </p>
          )}
          <Button type="submit" variant="primary" className="w-full" disabled={pending}>
            {pending ? 'Signing in…' : 'Sign in'}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
