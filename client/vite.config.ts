import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

const api = process.env['HG_DEV_API'] ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    // `npm run dev -w client` next to `npm start`: the API and its WebSocket on the same origin.
    proxy: { '/api': { target: api, ws: true, changeOrigin: true } },
  },
});
