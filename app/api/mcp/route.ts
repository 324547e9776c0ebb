import { mcpApi } from '@/server/mcp';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';
const { handle } = mcpApi();
export { handle as POST, handle as GET, handle as DELETE };
