/**
 * Who is calling. The single place where authentication plugs in for every `/api/v1` route: today every
 * caller is the anonymous actor; the accounts-and-keys issue replaces `authenticate` (session cookie or
 * `Authorization: Bearer <key>`) without touching the handlers.
 */
export type Actor = { kind: 'anonymous' | 'user' | 'apiKey'; id: string; name: string };

export async function authenticate(_req: Request): Promise<Actor> {
  return { kind: 'anonymous', id: 'anonymous', name: 'anonymous' };
}
