import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Tests import workspace packages from source, so no build is needed before `npm test`. */
export const workspaceAliases = [
  { find: /^@harborguard\/shared$/, replacement: src('./shared/src/index.ts') },
  { find: /^@harborguard\/eventstore$/, replacement: src('./eventstore/src/index.ts') },
  { find: /^@harborguard\/eventstore\/testing$/, replacement: src('./eventstore/src/testing/index.ts') },
];

export default defineConfig({
  resolve: { alias: workspaceAliases },
  test: {
    projects: [
      { extends: true, test: { name: 'shared', root: './shared', include: ['src/**/*.test.ts'] } },
      { extends: true, test: { name: 'eventstore', root: './eventstore', include: ['src/**/*.test.ts'] } },
      { extends: true, test: { name: 'server', root: './server', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'tests', root: './tests', include: ['**/*.test.ts'], exclude: ['**/node_modules/**', 'e2e/**'], testTimeout: 30_000, hookTimeout: 60_000 },
      },
      { extends: true, test: { name: 'client', root: './client', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        // The built dashboard and server in a real browser (Debian's chromium); one file at a time.
        test: { name: 'e2e', root: './tests/e2e', include: ['**/*.e2e.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, fileParallelism: false },
      },
    ],
  },
});
