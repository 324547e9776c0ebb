/**
 * Which rows of a long list to render, for a fixed row height and at most one expanded row. Pure.
 *
 * Browsers cap an element's height (Chromium near 33.5 million px), so a list taller than
 * MAX_SCROLL_PX is scaled: the scrollbar maps onto the row range proportionally, and rows are placed
 * relative to the viewport. 100,000 rows of 44 px (4.4 million px) scroll natively.
 */
export const MAX_SCROLL_PX = 15_000_000;

export type WindowInput = {
  count: number;
  rowHeight: number;
  viewport: number;
  scrollTop: number;
  overscan?: number;
  /** One row shown taller (an expanded payload): its index and the extra pixels. */
  expanded?: { index: number; extra: number } | null;
};

export type ListWindow = {
  /** Height of the scrolling content. */
  total: number;
  /** First and last (exclusive) rows to render. */
  start: number;
  end: number;
  /** Top of row i inside the content, in px. */
  top(i: number): number;
  /** Scroll position that puts row i at the top (minus `margin`). */
  scrollFor(i: number, margin?: number): number;
};

export function computeWindow({ count, rowHeight, viewport, scrollTop, overscan = 8, expanded }: WindowInput): ListWindow {
  const ex = expanded && expanded.index >= 0 && expanded.index < count ? expanded : null;
  const extra = ex ? ex.extra : 0;
  const natural = count * rowHeight + extra;
  const total = Math.min(natural, MAX_SCROLL_PX);
  const visibleRows = Math.ceil(viewport / rowHeight) + 1;
  if (natural <= MAX_SCROLL_PX) {
    const naturalTop = (i: number) => i * rowHeight + (ex && i > ex.index ? extra : 0);
    const rowAt = (y: number) => {
      if (!ex || y < (ex.index + 1) * rowHeight) return Math.floor(y / rowHeight);
      if (y < (ex.index + 1) * rowHeight + extra) return ex.index;
      return Math.floor((y - extra) / rowHeight);
    };
    const first = Math.max(0, Math.min(count - 1, rowAt(Math.max(0, scrollTop))));
    const last = Math.min(count, rowAt(scrollTop + viewport - 1) + 1);
    return {
      total,
      start: Math.max(0, first - overscan),
      end: Math.min(count, Math.max(last, first + 1) + overscan),
      top: naturalTop,
      scrollFor: (i, margin = 0) => Math.max(0, naturalTop(i) - margin),
    };
  }
  // Scaled: the scrollbar position is a fraction of the row range.
  const span = Math.max(1, total - viewport);
  const lastFirst = Math.max(0, count - viewport / rowHeight);
  const firstF = (Math.min(Math.max(0, scrollTop), span) / span) * lastFirst;
  const first = Math.floor(firstF);
  const top = (i: number) => scrollTop + (i - firstF) * rowHeight + (ex && i > ex.index && ex.index >= first ? extra : 0);
  return {
    total,
    start: Math.max(0, first - overscan),
    end: Math.min(count, first + visibleRows + overscan),
    top,
    scrollFor: (i, margin = 0) => Math.max(0, Math.min(span, ((i - margin / rowHeight) / Math.max(1, lastFirst)) * span)),
  };
}
