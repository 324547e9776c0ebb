/**
 * Every request Spine makes to a URL someone configured (HTTP agents, webhooks, LLM base URLs, A2A) goes
 * through `outboundFetch`, which refuses private destinations unless an admin allow-listed them:
 * loopback, link-local (incl. the cloud metadata address 169.254.169.254), RFC 1918 and CGNAT ranges,
 * unique-local and site-local IPv6, IPv4-mapped/compatible IPv6 forms of all of these (e.g.
 * `[::ffff:169.254.169.254]`), multicast and unspecified addresses.
 *
 * The check happens at connect time, on the address the socket actually connects to (a DNS lookup hook
 * in the connection pool), so a name that resolves to a public address for the check and a private one
 * for the connection (DNS rebinding) is still refused. Redirects are never followed automatically.
 *
 * Allow-list: SPINE_OUTBOUND_ALLOW (comma-separated host names, IPs or CIDRs, e.g. `127.0.0.1,10.0.0.0/8`).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { Agent } from 'undici';
import { ForbiddenError } from '@/server/errors';

/** undici, loaded by the first outbound call: a process that makes none does not hold it (~8 MiB). */
let undiciModule: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undiciModule ??= import('undici'));

const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4], ['255.255.255.255', 32],
];
const PRIVATE_V6: [string, number][] = [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32], ['100::', 64]];

const blocked = new BlockList();
for (const [a, p] of PRIVATE_V4) blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of PRIVATE_V6) blocked.addSubnet(a, p, 'ipv6');

/** IPv4 embedded in IPv6 (`::ffff:a.b.c.d`, `::a.b.c.d`, or their hex forms) → the IPv4 address. */
function embeddedV4(ip: string): string | null {
  const lower = ip.toLowerCase().replace(/^\[|\]$/g, '');
  const dotted = /^(?:::ffff:|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:::ffff:|::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

export type AllowList = { hosts: Set<string>; nets: BlockList };

export function parseAllowList(spec: string | undefined): AllowList {
  const hosts = new Set<string>();
  const nets = new BlockList();
  for (const raw of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, bits] = raw.split('/');
    const family = isIP(addr ?? '');
    if (family) nets.addSubnet(addr!, bits ? Number(bits) : family === 4 ? 32 : 128, family === 4 ? 'ipv4' : 'ipv6');
    else hosts.add(raw.toLowerCase());
  }
  return { hosts, nets };
}

/** True when `ip` is a private/special address that `allow` does not cover. */
export function isForbiddenAddress(ip: string, allow: AllowList = parseAllowList(process.env.SPINE_OUTBOUND_ALLOW)): boolean {
  const clean = ip.replace(/^\[|\]$/g, '');
  const v4 = isIP(clean) === 4 ? clean : embeddedV4(clean);
  if (v4) return blocked.check(v4, 'ipv4') && !allow.nets.check(v4, 'ipv4');
  if (isIP(clean) === 6) return blocked.check(clean, 'ipv6') && !allow.nets.check(clean, 'ipv6');
  return true;
}

type LookupCb = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(allow: AllowList) {
  return (hostname: string, options: { all?: boolean }, cb: LookupCb) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, '', 0);
      const list = addresses as LookupAddress[];
      const hostAllowed = allow.hosts.has(hostname.toLowerCase());
      const bad = hostAllowed ? undefined : list.find((a) => isForbiddenAddress(a.address, allow));
      if (bad) {
        const e = new Error(`outbound request to ${hostname} (${bad.address}) refused: private or special address; an admin can allow it with SPINE_OUTBOUND_ALLOW`) as NodeJS.ErrnoException;
        e.code = 'ESPINEBLOCKED';
        return cb(e, '', 0);
      }
      if (options.all) cb(null, list);
      else cb(null, list[0]!.address, list[0]!.family);
    });
  };
}

let agent: { spec: string | undefined; agent: Agent } | undefined;
function dispatcher({ Agent }: typeof import('undici')): Agent {
  const spec = process.env.SPINE_OUTBOUND_ALLOW;
  if (!agent || agent.spec !== spec) agent = { spec, agent: new Agent({ connect: { lookup: guardedLookup(parseAllowList(spec)) as never }, connections: 64 }) };
  return agent.agent;
}

export type OutboundInit = { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal };

/** fetch for user-configured URLs: private destinations refused at connect time, redirects not followed. */
export async function outboundFetch(url: string, init: OutboundInit = {}): Promise<Response> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ForbiddenError('outbound.invalid_url', `'${url}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ForbiddenError('outbound.scheme', `Only http(s) URLs are allowed, not ${u.protocol}`);
  if (u.username || u.password) throw new ForbiddenError('outbound.credentials', 'URLs with embedded credentials are refused');
  const allow = parseAllowList(process.env.SPINE_OUTBOUND_ALLOW);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allow.hosts.has(host) && isForbiddenAddress(host, allow))
    throw new ForbiddenError('outbound.private_address', `Requests to ${host} are refused (private or special address); an admin can allow it with SPINE_OUTBOUND_ALLOW`);
  try {
    const undici = await loadUndici();
    return (await undici.fetch(u, { ...init, redirect: 'manual', dispatcher: dispatcher(undici) })) as unknown as Response;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'ESPINEBLOCKED') throw new ForbiddenError('outbound.private_address', cause.message ?? 'refused');
    throw e;
  }
}
