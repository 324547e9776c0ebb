import { reasoningPathApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = reasoningPathApi().get;
