/** A value as indented JSON text. Rendered as a text node, so markup in the data shows as characters. */
export function JsonBlock({ value, testId, label }: { value: unknown; testId?: string; label: string }) {
  return (
    <pre
      aria-label={label}
      data-testid={testId}
      className="max-h-64 overflow-auto rounded-md bg-zinc-100 px-3 py-2 font-mono text-xs leading-relaxed whitespace-pre-wrap break-words text-zinc-800 dark:bg-zinc-950 dark:text-zinc-300"
    >
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
