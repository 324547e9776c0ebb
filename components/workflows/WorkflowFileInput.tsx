import type { Ref } from 'react';

/**
 * The hidden file picker behind an Import button (click it through `ref`): one workflow file (JSON) at a
 * time, cleared after each pick so the same file can be chosen again.
 */
export function WorkflowFileInput({ ref, onFile, testId }: { ref: Ref<HTMLInputElement>; onFile: (file: File) => void; testId: string }) {
  return (
    <input
      ref={ref}
      type="file"
      accept="application/json,.json"
      className="hidden"
      data-testid={testId}
      onChange={(e) => {
        const f = e.target.files?.[0];
        e.target.value = '';
        if (f) onFile(f);
      }}
    />
  );
}
