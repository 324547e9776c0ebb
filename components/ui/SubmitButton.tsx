import type { ReactNode } from 'react';
import { Button } from './Button';

/** A form's primary submit button on its own row: disabled and saying what it does while the call runs. */
export function SubmitButton({ pending, pendingLabel, children, testId }: { pending: boolean; pendingLabel: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <Button type="submit" variant="primary" disabled={pending} data-testid={testId}>
        {pending ? pendingLabel : children}
      </Button>
    </div>
  );
}
