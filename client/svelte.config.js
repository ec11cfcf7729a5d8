import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** A single-page app: the server serves `build/` and answers every other path with the shell. */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // The dashboard's Content-Security-Policy, as a <meta> in each page with hashes of
    // SvelteKit's inline bootstrap script. Frame ancestors cannot be set from a <meta>: the
    // server sends `frame-ancestors 'none'` (and X-Frame-Options) as headers.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'font-src': ['self'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
      },
    },
    alias: {
      $components: 'src/lib/components',
      $ui: 'src/lib/ui',
      // Types only: the router's declaration, emitted by the server build (never bundled).
      '$server/router': '../server/dist/api/app-router.d.ts',
    },
  },
};

export default config;
