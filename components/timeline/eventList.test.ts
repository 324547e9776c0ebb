import { describe, expect, it } from 'vitest';
import { payloadPreview } from './eventList';

describe('a payload on one line', () => {
  it('is JSON text, shortened', () => {
    expect(payloadPreview({ html: '<img src=x onerror=alert(1)>' })).toBe('{"html":"<img src=x onerror=alert(1)>"}');
    expect(payloadPreview({ long: 'x'.repeat(500) }, 20)).toBe('{"long":"xxxxxxxxxxx…');
  });
});
