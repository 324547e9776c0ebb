import { eventsApi } from '@/server/http/v1/events';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = eventsApi().stream;
