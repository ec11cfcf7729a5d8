// Run as `node read-model-store-dist.fixture.mjs <file>`: the built server (dist/), as `npm start` runs it,
// stores read-model rows through its writer thread, then loads them back. Prints one JSON line.
import { SqliteReadModelStore } from '../../dist/projections/read-model-store.js';

const file = process.argv[2];
const store = new SqliteReadModelStore(file);
store.save([{ kind: 'sensor', id: 's-1', record: { id: 's-1', name: 'first' } }], 1n);
store.save([{ kind: 'sensor', id: 's-1', record: { id: 's-1', name: 'second' } }], 2n);
await store.closeAsync();
const reopened = new SqliteReadModelStore(file);
const { position, records } = await reopened.loadAsync();
await reopened.closeAsync();
console.log(JSON.stringify({ position: String(position), records }));
