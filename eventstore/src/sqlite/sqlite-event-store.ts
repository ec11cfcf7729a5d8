import { AppendSignal } from '../append-signal.js';
import { resolve } from 'node:path';
import { setImmediate } from 'node:timers';
import Database from 'better-sqlite3';
import { EventStoreError, StoreUnavailable, WrongExpectedVersion } from '../errors.js';
import type {
  AllFilter,
  AppendOptions,
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  RawRecordedEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeToAllOptions,
  SubscriptionMessage,
} from '../port.js';
import { lockExclusively, shareLock, tryLockExclusively } from './file-lock.js';
import { preflight } from './preflight.js';
import { ReadAhead, type ForwardPage } from './read-ahead.js';
import { classifyDatabase, createSchema } from './schema.js';
import { translateSqliteError } from './sqlite-errors.js';
import { COLUMNS, prepareEvent, rowPosition, toRawEvent, toRecordedEvent, type PreparedEvent, type Row } from './rows.js';

export interface SqliteEventStoreOptions {
  /**
   * 'normal' (default): in WAL mode a commit survives a process crash (kill -9), since it is in the
   * OS page cache; an OS crash or power loss may lose the last commits, never corrupt the file.
   * 'full': fsync the WAL on every commit, so commits also survive power loss; each append then
   * costs a disk flush (much lower single-append throughput).
   */
  synchronous?: 'normal' | 'full';
  /** How long to wait at open for a lock held by another connection before refusing. Default 500 ms. */
  lockTimeoutMs?: number;
  /** Events fetched per query while a subscription catches up. Default 1000. */
  subscriptionBatchSize?: number;
  /** Read long forward scans of $all ahead on a worker thread (see read-ahead.ts). Default true. */
  readAhead?: boolean;
  /** Where the store reports trouble it works around (a read-ahead worker that failed). Default: stderr. */
  log?: (line: string) => void;
}

/** An append waiting for the next commit. */
interface QueuedAppend {
  streamName: string;
  events: PreparedEvent[];
  expected: ExpectedRevision;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** What one append of a commit came to: its result, or the error that refused it alone. */
type AppendOutcome = { stored: true; result: AppendResult } | { stored: false; error: unknown };

interface ReadAllShape {
  key: string;
  where: string;
  params: unknown[];
  statement: Database.Statement;
}

/** Largest value SQLite's LIMIT and our bounds need; positions and revisions stay far below 2^53. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * A forward scan hands over to the read-ahead worker once it has read this many events in pages of at
 * least READ_AHEAD_MIN_PAGE, each page starting where the previous one ended: short reads never pay
 * for the worker.
 */
const READ_AHEAD_AFTER = 4000;
const READ_AHEAD_MIN_PAGE = 100;

/**
 * The embedded event store: one SQLite file in WAL mode, held exclusively by one process.
 *
 * Appends are committed in groups: every append asked for in one turn of the event loop (a batch of
 * timers firing, the requests read in one poll) is written in one transaction at the end of that turn,
 * each append in a savepoint of its own, so one refused append (a wrong expected revision) leaves the
 * others whole. A group costs one commit instead of one per append; an append resolves once its group
 * is committed. better-sqlite3 is synchronous, so a commit completes before any other JavaScript
 * runs: positions (the rowid) are assigned in the order appends were asked for, with no gaps, and a
 * reader never sees half an append. Subscriptions pull pages after their cursor and sleep until the
 * next commit.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #file: string;
  readonly #batchSize: number;
  readonly #appended = new AppendSignal();
  readonly #readAllStatements = new Map<string, { statement: Database.Statement; where: string }>();
  readonly #statements;
  readonly #appendTransaction;
  readonly #groupTransaction;
  /** Appends asked for since the last commit, in the order asked. */
  #queued: QueuedAppend[] = [];
  readonly #readAhead: ReadAhead;
  readonly #readAheadEnabled: boolean;
  /** The forward scan seen last, to notice when one is long enough to read ahead. */
  #scan = { key: '', last: -1, events: 0 };
  #closed = false;

  private constructor(db: Database.Database, file: string, options: SqliteEventStoreOptions) {
    this.#db = db;
    this.#file = file;
    this.#batchSize = options.subscriptionBatchSize ?? 1000;
    this.#readAheadEnabled = options.readAhead ?? true;
    this.#statements = {
      streamHead: db.prepare('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1').pluck(),
      insert: db.prepare('INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      streamForwards: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`).raw(),
      streamBackwards: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?`).raw(),
      head: db.prepare('SELECT max(position) FROM events').pluck(),
      ping: db.prepare('SELECT 1').pluck(),
    };
    this.#appendTransaction = db.transaction(this.#appendInTransaction.bind(this));
    this.#groupTransaction = db.transaction(this.#appendGroup.bind(this));
    this.#readAhead = new ReadAhead(file, COLUMNS, {
      // While the worker reads, this connection holds only the shared lock, which still keeps any other
      // process out (see file-lock.ts); it takes the exclusive lock back once the worker's connection is
      // closed, if nothing else holds the file at that moment.
      share: () => shareLock(db, () => this.#statements.head.get()),
      reclaim: () => !this.#closed && tryLockExclusively(db, options.lockTimeoutMs ?? 500),
      log: options.log ?? ((line) => console.error(line)),
    });
  }

  /** Opens (creating if missing) the store file. Throws StoreUnavailable naming the file when it cannot. */
  static open(filePath: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const file = resolve(filePath);
    preflight(file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: options.lockTimeoutMs ?? 500 });
      // Nothing is written before the file is known to be an event store (or empty).
      const kind = classifyDatabase(db, file);
      // WAL with its index in a shared-memory file, so a read-ahead worker's connection can read
      // alongside this one (see read-ahead.ts).
      const journal = db.pragma('journal_mode = WAL', { simple: true });
      if (journal !== 'wal') throw new StoreUnavailable(`Event store file ${file} could not be switched to WAL mode (got ${String(journal)})`);
      // The first access in WAL mode decides where the WAL index lives: it must come before exclusive
      // locking mode, or the index goes to heap memory, private to this connection.
      db.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('cache_size = -65536'); // 64 MiB of page cache for catch-up reads
      // Checkpoints are where WAL mode fsyncs; running them every ~40 MiB of WAL rather than the
      // default ~4 MiB gave about 40% more single-event appends per second when measured. The cost is
      // a longer WAL to replay when opening after a crash; the file is trimmed back after checkpoints.
      db.pragma('wal_autocheckpoint = 10000');
      db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      // Exclusive locking: lockExclusively takes an exclusive lock on the file that this
      // connection keeps (until close, or while a read-ahead worker reads, when it holds a shared lock
      // that still keeps other processes out). A second process (or store) gets SQLITE_BUSY instead of
      // writing alongside; the OS drops the lock when the process dies, so a kill -9 leaves no stale
      // lock. Holding it also spares every transaction its lock calls (measured: about 15% more
      // single-event appends per second).
      lockExclusively(db);
      // Classified again now that the file is ours: another process may have created it meanwhile.
      if (kind === 'empty' && classifyDatabase(db, file) === 'empty') createSchema(db);
      return new SqliteEventStore(db, file, options);
    } catch (error) {
      db?.close();
      throw translateSqliteError(error, file, 'opening');
    }
  }

  /** The absolute path of the store file. */
  get file(): string {
    return this.#file;
  }

  async appendToStream(streamName: string, events: EventToAppend[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#assertOpen();
    if (events.length === 0) throw new EventStoreError(`Append to "${streamName}" has no events`);
    // Serialise before the transaction: a bad event fails the append with nothing written.
    const prepared = events.map(prepareEvent);
    return new Promise((resolve, reject) => {
      if (this.#queued.length === 0) setImmediate(this.#commitQueued);
      this.#queued.push({ streamName, events: prepared, expected: options.expectedRevision ?? 'any', resolve, reject });
    });
  }

  /** Commits every queued append in one transaction and answers each. */
  readonly #commitQueued = (): void => {
    const group = this.#queued;
    if (group.length === 0) return;
    this.#queued = [];
    if (this.#closed) {
      const closed = new StoreUnavailable(`Event store ${this.#file} is closed`);
      for (const append of group) append.reject(closed);
      return;
    }
    let outcomes: AppendOutcome[];
    try {
      outcomes = this.#groupTransaction(group);
    } catch (error) {
      // Nothing of the group was committed.
      const refusal = translateSqliteError(error, this.#file, 'appending');
      for (const append of group) append.reject(refusal);
      return;
    }
    this.#appended.wakeAll();
    group.forEach((append, index) => {
      const outcome = outcomes[index]!;
      if (outcome.stored) append.resolve(outcome.result);
      else append.reject(translateSqliteError(outcome.error, this.#file, 'appending'));
    });
  };

  /**
   * The appends of one commit, each in its own savepoint. An error SQLite answers by rolling back
   * the whole transaction (a full disk, an I/O error) is thrown on: no append of the group may be
   * reported stored.
   */
  #appendGroup(group: QueuedAppend[]): AppendOutcome[] {
    return group.map((append): AppendOutcome => {
      try {
        return { stored: true, result: this.#appendTransaction(append.streamName, append.events, append.expected) };
      } catch (error) {
        if (!this.#db.inTransaction) throw error;
        return { stored: false, error };
      }
    });
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const from = options.fromRevision ?? (forwards ? 'start' : 'end');
    // 'start' is revision 0; 'end' is just past the last event (forwards reads nothing).
    const fromRevision = from === 'start' ? 0 : from === 'end' ? UNBOUNDED : Number(from);
    const limit = options.maxCount ?? UNBOUNDED;
    const statement = forwards ? this.#statements.streamForwards : this.#statements.streamBackwards;
    const rows = this.#run('reading a stream', () => statement.all(streamName, fromRevision, limit) as Row[]);
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.#assertOpen();
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const from = options.fromPosition ?? (forwards ? 'start' : 'end');
    const fromPosition = from === 'start' ? 0 : from === 'end' ? UNBOUNDED : rowPosition(from);
    const limit = options.maxCount ?? 1000;
    if (!forwards) return this.#run('reading $all', () => this.#readAllRows(this.#readAllShape(false, options.filter), fromPosition, limit).map(toRecordedEvent));
    return (await this.#readForwards('reading $all', fromPosition, limit, options.filter)).events;
  }

  /**
   * Read in-process, never through the read-ahead: checks and copies of the log (audits) neither
   * take over nor wait for the scan that catch-up subscriptions are reading ahead.
   */
  async readAllRaw(options: ReadAllOptions = {}): Promise<RawRecordedEvent[]> {
    this.#assertOpen();
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const from = options.fromPosition ?? (forwards ? 'start' : 'end');
    const fromPosition = from === 'start' ? 0 : from === 'end' ? UNBOUNDED : rowPosition(from);
    return this.#run('reading $all', () => this.#readAllRows(this.#readAllShape(forwards, options.filter), fromPosition, options.maxCount ?? 1000).map(toRawEvent));
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AsyncIterable<SubscriptionMessage> {
    this.#assertOpen();
    return this.#follow(options);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    this.#run('checking readiness', () => this.#statements.ping.get());
  }

  /** Commits the appends already asked for, then closes the file, ending live subscriptions. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commitQueued();
    this.#closed = true;
    this.#appended.wakeAll();
    await this.#readAhead.close();
    this.#db.close();
  }

  #appendInTransaction(streamName: string, events: PreparedEvent[], expected: ExpectedRevision): AppendResult {
    const head = this.#statements.streamHead.get(streamName) as number | undefined;
    const current = head === undefined ? null : BigInt(head);
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === null) ||
      (expected === 'stream_exists' && current !== null) ||
      (typeof expected === 'bigint' && current === expected);
    if (!ok) throw new WrongExpectedVersion(streamName, expected, current ?? 'no_stream');
    const recordedAt = Date.now();
    let revision = head ?? -1;
    let position = 0;
    for (const event of events) {
      revision += 1;
      position = Number(this.#statements.insert.run(streamName, revision, event.id, event.type, event.data, event.metadata, recordedAt).lastInsertRowid);
    }
    return { nextExpectedRevision: BigInt(revision), position: BigInt(position) };
  }

  /**
   * A forward page of $all from `from` (inclusive). Served by the read-ahead worker while a long scan
   * goes on; a scan that has read READ_AHEAD_AFTER events page after page starts it. A short page comes
   * with the head of the log (see ForwardPage).
   */
  async #readForwards(action: string, from: number, limit: number, filter: AllFilter | undefined): Promise<ForwardPage> {
    const shape = this.#run(action, () => this.#readAllShape(true, filter));
    const readInProcess = (start: number, count: number): ForwardPage =>
      this.#run(action, () => {
        const events = this.#readAllRows(shape, start, count).map(toRecordedEvent);
        // Read in the same synchronous step as the page: nothing can commit in between.
        const head = events.length < count ? ((this.#statements.head.get() as number | null) ?? 0) : null;
        return { events, head };
      });
    const ahead = this.#readAhead.take(shape.key, from, limit, readInProcess);
    if (ahead) return ahead;
    const page = readInProcess(from, limit);
    this.#noteScan(shape, from, limit, page.events);
    return page;
  }

  /** Starts the read-ahead once a forward scan has gone on long enough. */
  #noteScan({ key, where, params }: ReadAllShape, from: number, limit: number, events: RecordedEvent[]): void {
    const last = events[events.length - 1];
    if (!this.#readAheadEnabled || last === undefined || events.length < limit || limit < READ_AHEAD_MIN_PAGE) {
      this.#scan.key = '';
      return;
    }
    const scan = this.#scan;
    const continues = scan.key === key && (from === scan.last || from === scan.last + 1);
    scan.events = continues ? scan.events + events.length : events.length;
    scan.key = key;
    scan.last = Number(last.position);
    if (scan.events >= READ_AHEAD_AFTER) {
      scan.key = '';
      this.#readAhead.start(key, where, params, last);
    }
  }

  /**
   * The shape of a $all read: a key naming the read (filter values included), its WHERE clause, the
   * parameters after the start position, and the prepared statement, cached per filter shape.
   */
  #readAllShape(forwards: boolean, filter: AllFilter | undefined): ReadAllShape {
    const prefixes = filter?.streamPrefixes ?? [];
    const types = filter?.eventTypes ?? [];
    const params: unknown[] = [];
    for (const prefix of prefixes) params.push([...prefix].length, prefix);
    params.push(...types);
    const shapeKey = `${forwards ? 'f' : 'b'}:${prefixes.length}:${types.length}`;
    const key = `${shapeKey}:${JSON.stringify(params)}`;
    const cached = this.#readAllStatements.get(shapeKey);
    if (cached) return { key, params, ...cached };
    const conditions = [forwards ? 'position >= ?' : 'position <= ?'];
    // substr counts characters, as the prefix length above does: an exact prefix test (LIKE would
    // treat % and _ as wildcards and ignore case).
    if (prefixes.length) conditions.push(`(${prefixes.map(() => 'substr(stream, 1, ?) = ?').join(' OR ')})`);
    if (types.length) conditions.push(`type IN (${types.map(() => '?').join(', ')})`);
    const where = conditions.join(' AND ');
    const sql = `SELECT ${COLUMNS} FROM events WHERE ${where} ORDER BY position ${forwards ? 'ASC' : 'DESC'} LIMIT ?`;
    const statement = { statement: this.#db.prepare(sql).raw(), where };
    this.#readAllStatements.set(shapeKey, statement);
    return { key, params, ...statement };
  }

  /** One page of $all as driver rows; bounds are inclusive. */
  #readAllRows(shape: ReadAllShape, from: number, limit: number): Row[] {
    return shape.statement.all(from, ...shape.params, limit) as Row[];
  }

  /**
   * Catch-up and live are one loop: read the next page after the cursor; when a read comes back empty,
   * report caughtUp once (with the cursor: the head of the log as far as this subscription has
   * examined it, or null for an empty log), then sleep until an append, close or abort.
   */
  async *#follow({ fromPosition = 'start', filter, signal }: SubscribeToAllOptions): AsyncGenerator<SubscriptionMessage> {
    // The cursor is the last position examined: everything up to it was delivered or filtered out.
    let cursor = fromPosition === 'start' ? 0 : rowPosition(fromPosition);
    let caughtUp = false;
    const stopped = () => this.#closed || signal?.aborted === true;
    while (!stopped()) {
      const { events, head } = await this.#readForwards('following $all', cursor + 1, this.#batchSize, filter);
      // A short page reached the head, read with it: the positions up to it that the page skipped did
      // not match the filter.
      const scanned = Math.max(events.length > 0 ? Number(events[events.length - 1]!.position) : cursor, head ?? 0);
      for (const event of events) {
        yield { kind: 'event', event };
        if (stopped()) return;
      }
      cursor = scanned;
      if (events.length > 0) continue;
      if (!caughtUp) {
        caughtUp = true;
        yield { kind: 'caughtUp', position: cursor > 0 ? BigInt(cursor) : null };
        continue;
      }
      // Sleeps unless something was appended since the read: the head is checked and the wake-up
      // registered in one synchronous step, so no append can slip in unnoticed.
      if (stopped()) return;
      if (((this.#run('following $all', () => this.#statements.head.get()) as number | null) ?? 0) <= cursor) await this.#appended.next(signal);
    }
  }

  #run<T>(action: string, work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw translateSqliteError(error, this.#file, action);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailable(`Event store ${this.#file} is closed`);
  }
}
