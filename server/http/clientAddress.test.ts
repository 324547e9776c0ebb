import { describe, expect, it } from 'vitest';
import { clientAddress, PEER_HEADER } from './clientAddress';

const h = (init: Record<string, string>) => new Headers(init);

describe('clientAddress', () => {
  it('ignores X-Forwarded-For unless proxies are trusted: a client cannot pick its own rate-limit bucket', () => {
    expect(clientAddress(h({ [PEER_HEADER]: '203.0.113.9', 'x-forwarded-for': '1.2.3.4' }), 0)).toBe('203.0.113.9');
    expect(clientAddress(h({ 'x-forwarded-for': '1.2.3.4' }), 0)).toBe('unknown');
  });

  it('with one trusted proxy takes the address that proxy appended, not what the client wrote before it', () => {
    expect(clientAddress(h({ [PEER_HEADER]: '10.0.0.2', 'x-forwarded-for': 'spoofed, 198.51.100.7' }), 1)).toBe('198.51.100.7');
    expect(clientAddress(h({ [PEER_HEADER]: '10.0.0.2', 'x-forwarded-for': 'spoofed, 198.51.100.7, 10.0.0.1' }), 2)).toBe('198.51.100.7');
  });

  it('falls back to the first hop, then the peer, when the header is shorter than the proxy chain', () => {
    expect(clientAddress(h({ [PEER_HEADER]: '10.0.0.2', 'x-forwarded-for': '198.51.100.7' }), 2)).toBe('198.51.100.7');
    expect(clientAddress(h({ [PEER_HEADER]: '10.0.0.2' }), 1)).toBe('10.0.0.2');
  });
});
