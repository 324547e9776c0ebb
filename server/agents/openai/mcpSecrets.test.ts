/**
 * MCP server headers in an agent's config are secrets like any other: redacted for people inside the
 * `mcpServers` list, and a change that sends the marker back keeps each server's own stored header, found
 * by the server's name (a reordered or shortened list never hands one server another's credentials).
 */
import { describe, expect, it } from 'vitest';
import type { Json } from '@/server/spine';
import { keepRedactedSecrets, redactConfig, REDACTED } from '../store';

const stored: Record<string, Json> = {
  baseUrl: 'https://llm.example/v1',
  mcpServers: [
    { name: 'cases', url: 'https://cases.example/mcp', headers: { Authorization: 'Bearer cases-secret', 'X-Tenant': 't1' } },
    { name: 'docs', url: 'https://docs.example/mcp', headers: { Authorization: 'Bearer docs-secret' } },
  ],
};

describe('MCP server headers as secrets', () => {
  it('are redacted for people at any depth of the list, other headers shown', () => {
    expect(redactConfig(stored)).toEqual({
      baseUrl: 'https://llm.example/v1',
      mcpServers: [
        { name: 'cases', url: 'https://cases.example/mcp', headers: { Authorization: REDACTED, 'X-Tenant': 't1' } },
        { name: 'docs', url: 'https://docs.example/mcp', headers: { Authorization: REDACTED } },
      ],
    });
  });

  it('sent back redacted, keep the stored secret of the server of the same name, whatever the order', () => {
    const edited = { baseUrl: 'https://llm.example/v1', mcpServers: [{ name: 'docs', url: 'https://docs.example/mcp', headers: { Authorization: REDACTED } }] };
    expect(keepRedactedSecrets(edited, stored).mcpServers).toEqual([{ name: 'docs', url: 'https://docs.example/mcp', headers: { Authorization: 'Bearer docs-secret' } }]);
  });

  it('a new server sending the marker gets no secret (the marker with nothing behind it is dropped)', () => {
    const edited = { mcpServers: [{ name: 'fresh', url: 'https://fresh.example/mcp', headers: { Authorization: REDACTED } }] };
    expect(keepRedactedSecrets(edited, stored).mcpServers).toEqual([{ name: 'fresh', url: 'https://fresh.example/mcp', headers: {} }]);
  });
});
