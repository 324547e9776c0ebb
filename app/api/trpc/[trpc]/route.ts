import { handleTrpc } from '@/server/api';

export const dynamic = 'force-dynamic';

const handler = (req: Request) => handleTrpc(req);

export { handler as GET, handler as POST };
