import { describe, expect, it } from 'vitest';
import { applyMergePatch, evolveEnvelope } from './envelope';

describe('JSON merge patch (RFC 7386)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('evolveEnvelope', () => {
  it('opens at version 1 and bumps by one per patch; ignores other events', () => {
    const opened = evolveEnvelope(undefined, { type: 'run.started', runId: 'r', payload: { intent: 'x', state: { a: 1 } } });
    expect(opened).toMatchObject({ version: 1, intent: 'x', state: { a: 1 } });
    const patched = evolveEnvelope(opened, { type: 'context.patched', runId: 'r', payload: { patch: { b: 2 } } });
    expect(patched).toMatchObject({ version: 2, state: { a: 1, b: 2 } });
    expect(evolveEnvelope(patched, { type: 'task.completed', runId: 'r', payload: {} })).toBeUndefined();
  });

  it('refuses malformed openings and patches with coded errors', () => {
    expect(() => evolveEnvelope(undefined, { type: 'context.patched', runId: null, payload: { patch: {} } })).toThrow(expect.objectContaining({ code: 'envelope.run_required' }));
    expect(() => evolveEnvelope(undefined, { type: 'run.started', runId: 'r', payload: { deadline: 'soon' } })).toThrow(expect.objectContaining({ code: 'envelope.invalid_opening' }));
    expect(() => evolveEnvelope(undefined, { type: 'context.patched', runId: 'r', payload: { patch: [1] } })).toThrow(expect.objectContaining({ code: 'envelope.invalid_patch' }));
  });
});
