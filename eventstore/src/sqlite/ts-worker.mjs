// Entry of a worker started from TypeScript source (see start-worker.ts): registers tsx in this thread,
// then imports the worker module named by the last argument.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[process.argv.length - 1]);
