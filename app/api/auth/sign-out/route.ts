import { sessionApi } from '@/server/http/v1/session';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const POST = sessionApi().signOut;
