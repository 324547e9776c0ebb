import { workflowsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const POST = workflowsApi().setA2a;
