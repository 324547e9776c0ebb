import { evaluationsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const POST = evaluationsApi().start;
export const GET = evaluationsApi().list;
