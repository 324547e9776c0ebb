import { workflowsApi } from '@/server/http/v1/workflows';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = workflowsApi();
export const GET = api.get;
