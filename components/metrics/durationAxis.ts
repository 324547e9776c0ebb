/**
 * One unit for every tick of a duration axis: the unit that suits the largest value (ms, s, min or h),
 * so an axis never reads "500ms, 1m" side by side. Pure.
 *
 * @example const axis = durationAxis(45_000); axis.format(15_000) === '15 s'
 */
const UNITS = [
  { unit: 'ms', ms: 1, upTo: 1_000 },
  { unit: 's', ms: 1_000, upTo: 120_000 },
  { unit: 'min', ms: 60_000, upTo: 2 * 3_600_000 },
  { unit: 'h', ms: 3_600_000, upTo: Infinity },
] as const;

export type DurationAxis = { unit: string; format(ms: number): string };

export function durationAxis(maxMs: number): DurationAxis {
  const u = UNITS.find((x) => Math.max(0, maxMs) < x.upTo) ?? UNITS[UNITS.length - 1]!;
  return {
    unit: u.unit,
    format(ms: number) {
      const v = Math.max(0, ms) / u.ms;
      const shown = v >= 10 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, '');
      return `${shown} ${u.unit}`;
    },
  };
}
