import Database from 'better-sqlite3';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { COMMANDS, GENERATION, POSTED, TAKEN, type Command, type ReadAheadWorkerData, type ReadCommand, type Reply } from './read-ahead-protocol.js';

/**
 * The read-ahead worker thread (started by read-ahead.ts). It blocks only itself: it sleeps in
 * Atomics.wait until a command arrives or, while `ahead` chunks are unread, until the caller takes some.
 * Its connection is read-only and open only between a `read` and the next `close`.
 */

const { file, port, control, columns, chunkBytes, minChunk, maxChunk, ahead } = workerData as ReadAheadWorkerData;

let db: Database.Database | null = null;
const statements = new Map<string, Database.Statement>();
let commandsSeen = 0;

function post(reply: Reply): void {
  port.postMessage(reply);
  Atomics.add(control, POSTED, 1);
  Atomics.notify(control, POSTED);
}

function nextCommand(): Command {
  for (;;) {
    const received = receiveMessageOnPort(port);
    if (received) return received.message as Command;
    // The caller posts first and bumps COMMANDS after, so a command posted since the check above has
    // already changed the cell and this returns at once.
    Atomics.wait(control, COMMANDS, commandsSeen);
    commandsSeen = Atomics.load(control, COMMANDS);
  }
}

/**
 * The chunk query: SQLite builds the chunk's JSON text itself, splicing the stored JSON in as is. The
 * text follows the order in which the ordered subquery yields its rows (the caller checks that
 * positions rise), which spares the aggregate a sort per chunk.
 */
function statementFor(where: string): Database.Statement {
  let statement = statements.get(where);
  if (!statement) {
    const row = `position || ',' || json_quote(stream) || ',' || revision || ',' || json_quote(id) || ',' || json_quote(type) || ',' || data || ',' || metadata || ',' || recorded_at`;
    statement = db!
      .prepare(`SELECT count(*), max(position), '[' || group_concat(${row}, ',') || ']' FROM (SELECT ${columns} FROM events WHERE ${where} ORDER BY position LIMIT ?)`)
      .raw();
    statements.set(where, statement);
  }
  return statement;
}

const current = (command: ReadCommand) => Atomics.load(control, GENERATION) === command.generation;

/** Fetches chunks of the scan until it reaches the head or the caller moves on to another scan. */
function read(command: ReadCommand): void {
  if (!current(command)) return;
  try {
    if (!db) {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: 1000 });
      db.pragma('cache_size = -65536');
    }
    const statement = statementFor(command.where);
    let from = command.from;
    let limit = command.limit;
    // Once `ahead` chunks are unread, sleep until the caller has taken half of them (it wakes this
    // thread then): one wake-up per several chunks rather than one per chunk.
    let full = false;
    while (current(command)) {
      const taken = Atomics.load(control, TAKEN);
      const unread = Atomics.load(control, POSTED) - taken;
      if (unread >= ahead || (full && unread > ahead / 2)) {
        full = true;
        Atomics.wait(control, TAKEN, taken, 100);
        continue;
      }
      full = false;
      const [count, last, text] = statement.get(from, ...command.params, limit) as [number, number | null, string | null];
      post({ kind: 'chunk', generation: command.generation, limit, count, last, text });
      if (count < limit) return;
      from = last! + 1;
      limit = Math.max(minChunk, Math.min(maxChunk, Math.floor((limit * chunkBytes) / text!.length)));
    }
  } catch (error) {
    post({ kind: 'error', generation: command.generation, error: error instanceof Error ? error.message : String(error) });
  }
}

function closeConnection(): void {
  db?.close();
  db = null;
  statements.clear();
}

for (let command = nextCommand(); command.kind !== 'exit'; command = nextCommand()) {
  if (command.kind === 'read') {
    read(command);
  } else {
    closeConnection();
    port.postMessage({ kind: 'closed' } satisfies Reply);
  }
}
closeConnection();
port.close();
