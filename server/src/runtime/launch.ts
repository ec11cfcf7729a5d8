/**
 * The service's start command (`npm start`): sizes the heap and V8's background threads for the
 * machine, then runs the service (main.js) in a child process with them, passing signals on and
 * ending with the child's exit code. Node fixes both when a process starts, hence the child.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, constants, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { HeapSizeError, heapOptions, heapSize, type HeapSizing } from './heap-size.js';
import { readCgroupCpu, usableCores, v8Threads } from './v8-threads.js';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function sizing(): HeapSizing {
  try {
    return heapSize(process.env, { totalBytes: totalmem(), constrainedBytes: process.constrainedMemory?.() });
  } catch (error) {
    if (!(error instanceof HeapSizeError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

const { heapMb, reason } = sizing();
const threads = v8Threads(usableCores(availableParallelism(), readCgroupCpu()), { nodeOptions: process.env['NODE_OPTIONS'], execArgv: process.execArgv });
console.error(`HarborGuard: JavaScript heap limit ${heapMb} MB (${reason}); ${threads.description}`);
const child = spawn(process.execPath, [...heapOptions(heapMb), ...threads.options, ...process.execArgv, MAIN, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));
child.once('error', (error) => {
  console.error(`HarborGuard: cannot start the service: ${error.message}`);
  process.exit(1);
});
child.once('exit', (code, signal) => {
  // A child ended by a signal is reported the way a shell would: 128 + the signal's number.
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
