import { workflowsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const api = workflowsApi();
export const GET = api.draft;
export const PUT = api.saveDraft;
