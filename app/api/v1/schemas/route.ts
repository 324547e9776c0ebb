import { schemasApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = schemasApi().list;
