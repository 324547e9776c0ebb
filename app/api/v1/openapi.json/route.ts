import { openApiHandler } from '@/server/http';

export const dynamic = 'force-dynamic';
export const GET = openApiHandler;
