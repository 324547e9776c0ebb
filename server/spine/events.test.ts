import { describe, expect, it } from 'vitest';
import { EventType, matchesType, TypePattern } from './events';
import { typePatternToRegex } from './log/eventLog';

const cases: [string, string, boolean][] = [
  ['case.opened', 'case.opened', true],
  ['case.opened', 'case.closed', false],
  ['case.*', 'case.opened', true],
  ['case.*', 'case.note.added', true],
  ['case.*', 'cases.opened', false],
  ['case.*', 'case', false],
  ['*.opened', 'case.opened', true],
  ['*.opened', 'case.note.opened', false],
  ['case.*.added', 'case.note.added', true],
  ['case.*.added', 'case.note.removed', false],
  ['*', 'anything.at.all', true],
];

describe('type patterns', () => {
  it.each(cases)('%s matches %s: %s', (pattern, type, expected) => {
    expect(matchesType(pattern, type)).toBe(expected);
    // The SQL regex the logs use agrees with the in-memory matcher.
    expect(new RegExp(typePatternToRegex(pattern)).test(type)).toBe(expected);
  });

  it('event types are dotted lower-camel names; patterns may use *', () => {
    expect(EventType.safeParse('case.opened').success).toBe(true);
    expect(EventType.safeParse('task.completed.v2').success).toBe(true);
    for (const bad of ['case', 'Case.opened', 'case..opened', 'case.opened.', 'case.*', '<script>.x', 'a'.repeat(130) + '.b'])
      expect(EventType.safeParse(bad).success).toBe(false);
    expect(TypePattern.safeParse('case.*').success).toBe(true);
    expect(TypePattern.safeParse('case.**').success).toBe(false);
  });
});
