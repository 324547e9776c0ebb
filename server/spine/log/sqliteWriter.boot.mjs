// The writer thread's first module (see sqliteWriter.ts): a worker does not inherit `--import tsx`'s
// loader on Node 20, so it loads the TypeScript entry through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./sqliteWriter.worker.ts', import.meta.url);
