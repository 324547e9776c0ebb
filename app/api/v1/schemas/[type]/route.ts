import { schemasApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = schemasApi();
export const GET = api.get;
export const PUT = api.put;
