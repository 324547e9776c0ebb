import { runsApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = runsApi().compare;
