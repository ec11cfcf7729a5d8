import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeComponent } from '../api/http-answers.js';
import { DASHBOARD_CSP } from './security-headers.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../client/build', import.meta.url));

/**
 * Serves the built dashboard: files as they are, any other GET path as the app shell
 * (the dashboard routes in the browser). A path that is not valid percent-encoding is a 400.
 */
export function serveDashboard(root = DEFAULT_DASHBOARD_DIR) {
  const base = resolve(root);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const requested = normalize(join(base, decodeComponent(url.pathname, 'Path')));
    if (requested !== base && !requested.startsWith(base + sep)) return false;
    const file = (await isFile(requested)) ? requested : (await isFile(join(base, 'index.html'))) ? join(base, 'index.html') : null;
    if (!file) return false;
    const immutable = file.includes(`${sep}_app${sep}immutable${sep}`);
    if (extname(file) === '.html') res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') return res.end(), true;
    // A file gone between the stat and the read ends this answer, not the process.
    createReadStream(file).once('error', () => res.destroy()).pipe(res);
    return true;
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
