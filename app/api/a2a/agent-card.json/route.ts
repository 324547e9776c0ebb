import { a2aApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = a2aApi().spineCard;
