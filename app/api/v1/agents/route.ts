import { agentsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = agentsApi();
export const GET = api.list;
export const POST = api.create;
