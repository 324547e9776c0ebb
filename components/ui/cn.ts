/** Joins class names, skipping falsy parts: `cn('px-2', active && 'font-medium')`. */
export function cn(...parts: Array<string | false | null | undefined>): string {
  return parts.filter(Boolean).join(' ');
}
