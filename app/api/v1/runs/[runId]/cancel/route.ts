import { runsApi } from '@/server/http/v1/runs';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = runsApi();
export const POST = api.cancel;
