import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, parseAllowList } from './outbound';
import { signWebhook, verifyWebhook } from './webhooks';

describe('outbound address guard', () => {
  const none = parseAllowList('');
  it.each([
    '127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '[::ffff:169.254.169.254]',
    '::ffff:a9fe:a9fe', '::ffff:7f00:1', '::127.0.0.1', '224.0.0.1', 'ff02::1', 'not-an-ip',
  ])('refuses %s', (ip) => expect(isForbiddenAddress(ip, none)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '11.0.0.1'])('allows public %s', (ip) =>
    expect(isForbiddenAddress(ip, none)).toBe(false));

  it('an allow-list opens exactly what it names', () => {
    const allow = parseAllowList('127.0.0.1, 10.0.0.0/8, agents.internal');
    expect(isForbiddenAddress('127.0.0.1', allow)).toBe(false);
    expect(isForbiddenAddress('127.0.0.2', allow)).toBe(true);
    expect(isForbiddenAddress('10.200.1.1', allow)).toBe(false);
    expect(isForbiddenAddress('169.254.169.254', allow)).toBe(true);
    expect(allow.hosts.has('agents.internal')).toBe(true);
  });
});

describe('Standard Webhooks signatures', () => {
  it('verify accepts the signed request and rejects a changed body, a wrong secret and a stale timestamp', () => {
    const now = 1_800_000_000;
    const h = signWebhook('whsec_' + Buffer.from('top secret').toString('base64'), 'msg_1', now, '{"a":1}');
    expect(h['webhook-signature']).toMatch(/^v1,/);
    const secret = 'whsec_' + Buffer.from('top secret').toString('base64');
    expect(verifyWebhook(secret, h, '{"a":1}', { nowS: now })).toBe(true);
    expect(verifyWebhook(secret, h, '{"a":2}', { nowS: now })).toBe(false);
    expect(verifyWebhook('whsec_' + Buffer.from('other').toString('base64'), h, '{"a":1}', { nowS: now })).toBe(false);
    expect(verifyWebhook(secret, h, '{"a":1}', { nowS: now + 3600 })).toBe(false);
  });
});
