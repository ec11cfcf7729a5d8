/**
 * How many background threads V8 gets, decided before the service starts. V8 marks and sweeps
 * the heap and compiles code on these threads while JavaScript runs. Node starts four of them
 * on any machine. With fewer spare cores than that, they compete with the event loop's thread
 * while a large heap is marked, and the liveness timers run late (figures in
 * bench/results/fleet.md). One core is left to the event loop and the rest go to V8, never
 * more than Node's four.
 */

/** Node's own pool size, the most the launcher asks for. */
export const NODE_POOL_SIZE = 4;

const POOL_OPTION = /(^|\s)--v8-pool-size(=|\s|$)/;

export interface V8Threads {
  /** The option to start the service with; none when the operator chose a size. */
  options: string[];
  /** For the start-up log. */
  description: string;
}

/**
 * The pool size for `cores` usable cores, unless the operator already set one with
 * `--v8-pool-size` (in NODE_OPTIONS or on the command line). Then theirs is kept.
 */
export function v8Threads(cores: number, given: { nodeOptions: string | undefined; execArgv: readonly string[] }): V8Threads {
  if (POOL_OPTION.test(given.nodeOptions ?? '') || given.execArgv.some((arg) => POOL_OPTION.test(arg))) {
    return { options: [], description: 'V8 background threads as set by --v8-pool-size' };
  }
  const size = Math.max(1, Math.min(NODE_POOL_SIZE, Math.floor(cores) - 1));
  const spare = cores > 1 ? ', one left to the event loop' : '';
  return { options: [`--v8-pool-size=${size}`], description: `V8 background threads ${size} (${cores} ${cores === 1 ? 'core' : 'cores'}${spare})` };
}
