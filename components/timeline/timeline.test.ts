import { describe, expect, it } from 'vitest';
import { computeWindow, MAX_SCROLL_PX } from './virtualWindow';
import { isFiltered, parseTimelineUrl, timelineSearch } from './filters';
import { ago, duration } from './format';

describe('the timeline’s URL', () => {
  it('round-trips every filter, so a view can be shared', () => {
    const url = '?type=task.*,run.completed&run=r-1&workflow=w-9&key=case:7&agent=summarizer&source=agent&from=2026-05-01T10:00:00.000Z&to=2026-05-01T11:00:00.000Z&q=GDPR&seq=42&event=40';
    const parsed = parseTimelineUrl(new URLSearchParams(url));
    expect(parsed).toEqual({
      filter: {
        types: ['task.*', 'run.completed'], runId: 'r-1', workflowId: 'w-9', key: 'case:7', agent: 'summarizer', sourceKind: 'agent',
        fromMs: Date.parse('2026-05-01T10:00:00.000Z'), toMs: Date.parse('2026-05-01T11:00:00.000Z'), text: 'GDPR',
      },
      jump: 42,
      selected: 40,
      problems: [],
    });
    expect(timelineSearch(parsed.filter, { jump: 42, selected: 40 })).toBe(url);
  });

  it('leaves out what is invalid and says why', () => {
    const p = parseTimelineUrl(new URLSearchParams('type=Task,ok.*&source=robot&from=yesterday&seq=abc'));
    expect(p.filter).toEqual({ types: ['ok.*'] });
    expect(p.jump).toBeNull();
    expect(p.problems).toHaveLength(4);
    expect(isFiltered(p.filter)).toBe(true);
    expect(isFiltered(parseTimelineUrl(new URLSearchParams('')).filter)).toBe(false);
  });
});

describe('the virtualized list window', () => {
  it('renders only the rows in view, plus overscan', () => {
    const w = computeWindow({ count: 100_000, rowHeight: 44, viewport: 440, scrollTop: 44 * 5000, overscan: 5 });
    expect([w.start, w.end]).toEqual([4995, 5015]);
    expect(w.total).toBe(4_400_000);
    expect(w.top(5000)).toBe(220_000);
    expect(w.scrollFor(5000, 88)).toBe(220_000 - 88);
  });

  it('makes room for one expanded row', () => {
    const w = computeWindow({ count: 50, rowHeight: 40, viewport: 400, scrollTop: 0, overscan: 0, expanded: { index: 2, extra: 200 } });
    expect(w.total).toBe(50 * 40 + 200);
    expect([w.top(2), w.top(3)]).toEqual([80, 320]);
    expect(w.end).toBe(5); // rows 0–4 fill 400 px when row 2 is 240 px tall
  });

  it('scales a list taller than the browser allows, reaching the first and the last row', () => {
    const count = 2_000_000;
    const top = computeWindow({ count, rowHeight: 44, viewport: 880, scrollTop: 0, overscan: 0 });
    expect(top.total).toBe(MAX_SCROLL_PX);
    expect(top.start).toBe(0);
    const bottom = computeWindow({ count, rowHeight: 44, viewport: 880, scrollTop: MAX_SCROLL_PX - 880, overscan: 0 });
    expect(bottom.end).toBe(count);
    const mid = computeWindow({ count, rowHeight: 44, viewport: 880, scrollTop: top.scrollFor(1_000_000), overscan: 0 });
    expect(mid.start).toBeGreaterThanOrEqual(999_999);
    expect(mid.start).toBeLessThanOrEqual(1_000_000);
  });
});

describe('shown durations', () => {
  it('reads like a person would say it', () => {
    expect([duration(840), duration(1234), duration(42_000), duration(245_000), duration(7_800_000), duration(3 * 86_400_000 + 4 * 3_600_000)]).toEqual([
      '840 ms', '1.2 s', '42 s', '4 min 05 s', '2 h 10 min', '3 d 4 h',
    ]);
    expect(ago(Date.now() - 245_000)).toBe('4 min ago');
  });
});
