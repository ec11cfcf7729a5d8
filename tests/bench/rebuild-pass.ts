/**
 * One full read-model rebuild in a process of its own, as a service starting on an empty read model
 * runs it: `rebuild-pass.ts <events.sqlite> <readmodels.sqlite>`. Prints its timings as JSON.
 * Started by projections.bench.ts.
 */
import { SqliteEventStore } from '../../eventstore/src/index.js';
import { Projector } from '../../server/src/projections/projector.js';
import { ReadModels } from '../../server/src/projections/read-models.js';
import { SqliteReadModelStore } from '../../server/src/projections/read-model-store.js';

const [eventsFile, readModelFile] = process.argv.slice(2);
if (!eventsFile || !readModelFile) throw new Error('usage: rebuild-pass.ts <events.sqlite> <readmodels.sqlite>');
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const store = SqliteEventStore.open(eventsFile);
const start = process.hrtime.bigint();
const rowStore = new SqliteReadModelStore(readModelFile);
const projector = new Projector(store, new ReadModels(), rowStore);
await projector.start();
const caughtUpSeconds = seconds(start);
await projector.stop();
await rowStore.closeAsync();
const storedSeconds = seconds(start);
await store.close();
console.log(JSON.stringify({ caughtUpSeconds, storedSeconds }));
