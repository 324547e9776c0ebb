import { auditApi } from '@/server/http/v1/audit';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = auditApi().verify;
