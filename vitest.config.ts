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
        test: { name: 'tests', root: './tests', include: ['**/*.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 30_000, hookTimeout: 60_000 },
      },
    ],
  },
});
