import { auditApi } from '@/server/http';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = auditApi().verify;
