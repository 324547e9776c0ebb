import { approvalsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = approvalsApi();
export const GET = api.list;
