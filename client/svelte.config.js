import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** A single-page app: the server serves `build/` and answers every other path with the shell. */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    alias: {
      $components: 'src/lib/components',
      $ui: 'src/lib/ui',
      // Types only: the router's declaration, emitted by the server build (never bundled).
      '$server/router': '../server/dist/api/app-router.d.ts',
    },
  },
};

export default config;
