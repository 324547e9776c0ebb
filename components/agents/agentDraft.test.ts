/**
 * The registration form's translation: known fields per kind become the config, bad JSON and numbers are
 * field errors before anything is sent, a stored agent's redacted secret round-trips as the marker, and a
 * server refusal lands under the field it names.
 */
import { describe, expect, it } from 'vitest';
import { a2aCardSummary, a2aSkillsOf, configShown, draftOf, emptyDraft, fieldOfServerError, outputFields, toDefinition } from './agentDraft';

describe('agent registration form', () => {
  it('an http draft becomes url, secret and headers; limits and tags are parsed', () => {
    const d = { ...emptyDraft('http'), name: ' triage ', capabilities: 'legal, , intake', fields: { url: 'https://a.example/x', secret: 'whsec_0123456789abcdef', headers: '{"X-Team":"legal"}' }, timeoutMs: '5000', outputSchema: '{"type":"object"}' };
    expect(toDefinition(d)).toEqual({
      ok: true,
      definition: { name: 'triage', kind: 'http', description: '', capabilities: ['legal', 'intake'], config: { url: 'https://a.example/x', secret: 'whsec_0123456789abcdef', headers: { 'X-Team': 'legal' } }, inputSchema: null, outputSchema: { type: 'object' }, limits: { timeoutMs: 5000 }, sideEffects: false },
    });
  });

  it('bad JSON and bad numbers are errors under their fields', () => {
    const r = toDefinition({ ...emptyDraft('http'), name: 'x', fields: { headers: '{nope' }, outputSchema: '{', concurrency: 'many' });
    expect(r.ok).toBe(false);
    expect(Object.keys((r as { errors: Record<string, string> }).errors).sort()).toEqual(['config.headers', 'limits.concurrency', 'outputSchema']);
  });

  it('an openai draft carries its price per 1M tokens and tools; other kinds are raw JSON', () => {
    const r = toDefinition({ ...emptyDraft('openai'), name: 'llm', fields: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', output: 'json', tools: 'case-law, precedent', priceInput: '0.5', priceOutput: '1.5' } });
    expect(r).toMatchObject({ ok: true, definition: { config: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', output: 'json', tools: ['case-law', 'precedent'], pricePerMTokens: { input: 0.5, output: 1.5 } } } });
    expect(toDefinition({ ...emptyDraft('sdk'), name: 's', rawConfig: '{"handles":["case.*"]}' })).toMatchObject({ ok: true, definition: { config: { handles: ['case.*'] } } });
    expect(toDefinition({ ...emptyDraft('sdk'), name: 's', rawConfig: '[1]' })).toMatchObject({ ok: false, errors: { config: 'a JSON object' } });
  });

  it('an openai draft carries its MCP servers as a JSON list; a redacted header round-trips; not a list is an error under the field', () => {
    const servers = [{ name: 'cases', url: 'https://tools.example/mcp', headers: { Authorization: '••••••' } }];
    const d = draftOf({ name: 'llm', kind: 'openai', description: '', capabilities: [], config: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm', mcpServers: servers }, inputSchema: null, outputSchema: null, limits: {} });
    expect(JSON.parse(d.fields.mcpServers!)).toEqual(servers);
    expect(toDefinition(d)).toMatchObject({ ok: true, definition: { config: { mcpServers: servers } } });
    expect(toDefinition({ ...d, fields: { ...d.fields, mcpServers: '{"name":"cases"}' } })).toMatchObject({ ok: false, errors: { 'config.mcpServers': 'a JSON list' } });
    expect(toDefinition({ ...d, fields: { ...d.fields, mcpServers: '[{' } })).toMatchObject({ ok: false, errors: { 'config.mcpServers': expect.stringMatching(/^not valid JSON/) } });
    expect(fieldOfServerError('config.mcpServers.0.url: Invalid URL', new Set(['config', 'config.mcpServers']))).toBe('config.mcpServers');
  });

  it('a stored agent’s redacted secret is kept as the marker (sent back, it keeps the secret)', () => {
    const d = draftOf({ name: 'h', kind: 'http', description: '', capabilities: ['a'], config: { url: 'https://a.example', secret: '••••••' }, inputSchema: null, outputSchema: { type: 'object' }, limits: { concurrency: 2 } });
    expect(d.fields.secret).toBe('••••••');
    expect(toDefinition(d)).toMatchObject({ ok: true, definition: { config: { secret: '••••••' }, limits: { concurrency: 2 }, capabilities: ['a'] } });
  });

  it('a server refusal lands under the field it names', () => {
    const known = new Set(['name', 'config.url', 'config', 'outputSchema', 'limits.timeoutMs']);
    expect(fieldOfServerError('config.url: Invalid URL', known)).toBe('config.url');
    expect(fieldOfServerError('config.headers.X: bad', known)).toBe('config');
    expect(fieldOfServerError('outputSchema is not a valid JSON Schema: outputSchema/type must be …', known)).toBe('outputSchema');
    expect(fieldOfServerError("Agent 'x' exists", known)).toBeNull();
    expect(outputFields({ type: 'object', properties: { risk: {}, score: {} } })).toEqual(['risk', 'score']);
  });

  it('an a2a draft is the card URL and the token; the fetched card shows as skills, not as config JSON', () => {
    expect(toDefinition({ ...emptyDraft('a2a'), name: 'reader', fields: { cardUrl: 'https://agents.example/.well-known/agent-card.json', token: 'k-1' } })).toMatchObject({
      ok: true, definition: { kind: 'a2a', config: { cardUrl: 'https://agents.example/.well-known/agent-card.json', token: 'k-1' } },
    });
    const config = { cardUrl: 'https://agents.example/card', token: '••••••', card: { name: 'Reader', url: 'https://agents.example/rpc', version: '2', capabilities: { streaming: true }, skills: [{ id: 'read', name: 'Read', description: 'Reads', tags: ['legal', 3] }, 'junk'] } };
    expect(a2aSkillsOf(config)).toEqual([{ id: 'read', name: 'Read', description: 'Reads', tags: ['legal'] }]);
    expect(a2aCardSummary(config)).toEqual({ name: 'Reader', url: 'https://agents.example/rpc', streaming: true, version: '2' });
    expect(configShown('a2a', config)).toEqual({ cardUrl: 'https://agents.example/card', token: '••••••' });
    expect(a2aSkillsOf({})).toEqual([]);
    // Edited again, the draft keeps the marker for the token and leaves the card to the server (fetched again on save).
    const d = draftOf({ name: 'reader', kind: 'a2a', description: '', capabilities: [], config, inputSchema: null, outputSchema: null, limits: {} });
    expect(toDefinition(d)).toMatchObject({ ok: true, definition: { config: { cardUrl: 'https://agents.example/card', token: '••••••' } } });
    expect((toDefinition(d) as { definition: { config: Record<string, unknown> } }).definition.config.card).toBeUndefined();
    expect(fieldOfServerError('config.cardUrl: the agent card at x cannot be fetched: 404', new Set(['config.cardUrl']))).toBe('config.cardUrl');
  });
});
