import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name`, a sibling of the module whose URL is `here` (its import.meta.url).
 *
 * Built code runs `name.js` from dist/ as it is. Code run from TypeScript source (vitest, tsx) has only
 * `name.ts`, and on Node 20 a worker thread does not apply the parent's loader hooks (nor --import ones
 * of its own) to its entry module; so it starts ts-worker.mjs, which registers tsx inside the thread
 * and then imports `name.ts`.
 */
export function startWorker(here: string, name: string, options: WorkerOptions): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), options);
  return new Worker(new URL('./ts-worker.mjs', import.meta.url), { ...options, execArgv: [], argv: [new URL(`./${name}.ts`, here).href] });
}
