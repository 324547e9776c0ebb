import { rmSync } from 'node:fs';

/** Removes the run's throwaway database directory (created in playwright.config.ts). */
export default function globalTeardown() {
  const dir = process.env.SPINE_E2E_DB_DIR;
  if (dir?.includes('spine-e2e-')) rmSync(dir, { recursive: true, force: true });
}
