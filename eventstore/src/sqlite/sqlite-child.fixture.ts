/**
 * A second process for the SQLite adapter's tests, run as `node --import tsx sqlite-child.fixture.ts <mode> <file>`.
 *   open:           try to open the store; print one JSON line with the outcome; exit.
 *   hold:           open, append one event, print "ready", then keep the store open until killed.
 *   append-forever: open, then append batches of three events, printing "ack <position>" after each
 *                   commit (stdout to a pipe is synchronous on Linux, so an ack means committed).
 */
import { SqliteEventStore } from './sqlite-event-store.js';

const [mode, file] = process.argv.slice(2);
if (!mode || !file) throw new Error('usage: sqlite-child.fixture.ts <open|hold|append-forever> <file>');

if (mode === 'open') {
  try {
    const store = SqliteEventStore.open(file);
    await store.close();
    console.log(JSON.stringify({ ok: true }));
  } catch (error) {
    const { name, message } = error as Error;
    console.log(JSON.stringify({ ok: false, name, message }));
  }
} else if (mode === 'hold') {
  const store = SqliteEventStore.open(file);
  await store.appendToStream('held-1', [{ type: 'Held', data: { pid: process.pid } }]);
  console.log('ready');
  setInterval(() => undefined, 60_000);
} else if (mode === 'append-forever') {
  const store = SqliteEventStore.open(file);
  const revisions = new Map<string, bigint>();
  for (let batch = 0; ; batch++) {
    const stream = `crash-${batch % 5}`;
    const events = [0, 1, 2].map((part) => ({ type: 'CrashTest', data: { batch, part } }));
    const result = await store.appendToStream(stream, events, { expectedRevision: revisions.get(stream) ?? 'no_stream' });
    revisions.set(stream, result.nextExpectedRevision);
    process.stdout.write(`ack ${result.position}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
