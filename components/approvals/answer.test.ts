/** An answer to an agent's question: structured when it is a JSON object or list, else the text itself. */
import { describe, expect, it } from 'vitest';
import { answerOf } from './answer';

describe('answerOf', () => {
  it('sends a JSON object or list as data, anything else as the text typed', () => {
    expect(answerOf(' { "jurisdiction": "DE" } ')).toEqual({ jurisdiction: 'DE' });
    expect(answerOf('[1, 2]')).toEqual([1, 2]);
    expect(answerOf('Germany')).toBe('Germany');
    expect(answerOf('42')).toBe('42');
    expect(answerOf('{ not json')).toBe('{ not json');
  });
});
