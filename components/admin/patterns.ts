/**
 * Event type patterns typed by people: separated by commas, spaces or new lines, blanks dropped, each
 * kept once. The server validates each one (TypePattern) and names the bad one.
 * @example parsePatterns('build.*, deploy.finished') // ['build.*', 'deploy.finished']
 */
export function parsePatterns(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((p) => p.trim()).filter(Boolean))];
}

/** A key's scopes in a few words. */
export function describePatterns(patterns: readonly string[]): string {
  if (patterns.length === 0) return 'none';
  if (patterns.includes('*')) return 'all events';
  return patterns.join(', ');
}
