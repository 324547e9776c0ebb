import type { Metadata } from 'next';
import { SignInForm } from '@/components/auth/SignInForm';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const q = await searchParams;
  const one = (v: string | string[] | undefined) => (typeof v === 'string' ? v : null);
  const notice = one(q.signedOut) ? 'signedOut' : one(q.passwordChanged) ? 'passwordChanged' : null;
  return (
    <div className="pt-8 sm:pt-16">
      <SignInForm next={one(q.next)} notice={notice} />
    </div>
  );
}
