import { sessionApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const POST = sessionApi().signIn;
