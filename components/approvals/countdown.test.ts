import { describe, expect, it } from 'vitest';
import { countdown, formatSpan, lapseText } from './countdown';

const at = Date.parse('2030-01-01T12:00:00Z');

describe('SLA countdown', () => {
  it('reads as the largest two units', () => {
    expect(formatSpan(12_000)).toBe('12s');
    expect(formatSpan(4 * 60_000 + 9_000)).toBe('4m 09s');
    expect(formatSpan(3 * 3_600_000 + 5 * 60_000)).toBe('3h 05m');
    expect(formatSpan(2 * 86_400_000 + 3 * 3_600_000 + 59_000)).toBe('2d 3h');
  });

  it('turns amber under 15 minutes and red when overdue', () => {
    expect(countdown('2030-01-01T14:00:00Z', at)).toEqual({ text: '2h 00m left', tone: 'neutral', overdue: false });
    expect(countdown('2030-01-01T12:10:00Z', at)).toMatchObject({ text: '10m 00s left', tone: 'warning' });
    expect(countdown('2030-01-01T11:59:30Z', at)).toEqual({ text: 'overdue by 30s', tone: 'danger', overdue: true });
  });

  it('says what a lapse decides', () => {
    expect(lapseText('reject')).toBe('then it is rejected automatically');
    expect(lapseText('fail')).toBe('then the run fails');
  });
});
