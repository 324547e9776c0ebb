import { runsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = runsApi();
export const POST = api.retryNode;
