import { describe, expect, it } from 'vitest';
import { describePatterns, parsePatterns } from './patterns';

describe('event type patterns typed by people', () => {
  it('split on commas, spaces and new lines, without blanks or repeats', () => {
    expect(parsePatterns(' build.*,deploy.finished\n\nbuild.*  ')).toEqual(['build.*', 'deploy.finished']);
    expect(parsePatterns('  ')).toEqual([]);
  });

  it('read back in words', () => {
    expect(describePatterns([])).toBe('none');
    expect(describePatterns(['*', 'x.y'])).toBe('all events');
    expect(describePatterns(['a.*', 'b.c'])).toBe('a.*, b.c');
  });
});
