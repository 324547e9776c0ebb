import { callError } from './callError';

type Props = { testId?: string } & (
  | {
      /** A failed call: shown as the server worded it, after `context` ("Could not load people") if given. */
      error: unknown;
      context?: string;
    }
  | { message: string; code?: string }
);

/** A failure in words, its code in `data-code` (for tests and support). */
export function ErrorNote(props: Props) {
  const { message, code } = 'error' in props ? worded(props.error, props.context) : props;
  return (
    <p
      role="alert"
      data-testid={props.testId}
      data-code={code}
      className="rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-300"
    >
      {message}
    </p>
  );
}

function worded(error: unknown, context: string | undefined): { message: string; code: string } {
  const c = callError(error);
  return { message: context ? `${context}: ${c.message}` : c.message, code: c.code };
}
