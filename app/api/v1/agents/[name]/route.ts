import { agentsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = agentsApi();
export const GET = api.get;
export const PATCH = api.patch;
export const DELETE = api.remove;
