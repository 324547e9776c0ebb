/**
 * The address a request came from, for per-client limits. A client can write any X-Forwarded-For it
 * likes, so the header counts only as far as proxies we were told about append to it
 * (SPINE_TRUSTED_PROXIES): with N of them the client is the Nth address from the right. Otherwise the
 * client is the connection's peer, which the server (scripts/serve.ts) puts in `x-spine-peer`,
 * overwriting whatever a client sent under that name.
 */
export const PEER_HEADER = 'x-spine-peer';

export function clientAddress(headers: Headers, trustedProxies: number): string {
  const peer = headers.get(PEER_HEADER)?.trim() || 'unknown';
  if (trustedProxies <= 0) return peer;
  const hops = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return hops.length >= trustedProxies ? hops[hops.length - trustedProxies]! : (hops[0] ?? peer);
}
