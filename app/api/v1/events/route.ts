import { eventsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = eventsApi();
export const POST = api.post;
export const GET = api.list;
