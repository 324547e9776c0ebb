import { auditExportApi } from '@/server/http/v1/auditExport';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
export const GET = auditExportApi().export;
