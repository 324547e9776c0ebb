import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['server/**/*.test.ts', 'components/**/*.test.ts', 'scripts/**/*.test.ts', 'packages/**/*.test.ts'], exclude: ['**/*.int.test.ts', 'node_modules/**'] } },
      { extends: true, test: { name: 'int', globalSetup: ['server/testing/globalSetup.ts'], include: ['server/**/*.int.test.ts'], testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false } },
    ],
  },
});
