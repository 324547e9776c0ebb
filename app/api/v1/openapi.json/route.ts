import { openApiHandler } from '@/server/http/openapi';

export const dynamic = 'force-dynamic';
export const GET = openApiHandler;
