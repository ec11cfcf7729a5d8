// Run as `node read-ahead-dist.fixture.mjs <file>`: the built package (dist/), as `npm start` runs it,
// pages through a long log that its worker thread reads ahead. Prints one JSON line.
import { SqliteEventStore } from '../../dist/index.js';

const file = process.argv[2];
const logged = [];
const store = SqliteEventStore.open(file, { log: (line) => logged.push(line) });
for (let batch = 0; batch < 12; batch++) {
  await store.appendToStream(`dist-${batch}`, Array.from({ length: 1000 }, (_, i) => ({ type: 'Dist', data: { n: batch * 1000 + i } })));
}
const read = [];
for (let from = 'start'; ; ) {
  const page = await store.readAll({ fromPosition: from, maxCount: 500 });
  for (const event of page) read.push(event.data.n);
  if (page.length < 500) break;
  from = page[page.length - 1].position + 1n;
}
await store.close();
console.log(JSON.stringify({ count: read.length, inOrder: read.every((n, i) => n === i), logged }));
