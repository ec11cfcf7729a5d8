import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidPosition, StoreUnavailable } from '../errors.js';
import { describeEventStoreContract } from '../testing/index.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { startChild } from './start-child.fixture.js';

describeEventStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hg-es-contract-'));
  const file = join(dir, 'events.db');
  let current = SqliteEventStore.open(file);
  return {
    store: current,
    reopen: async () => (current = SqliteEventStore.open(file)),
    cleanup: async () => {
      await current.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const childWait = { timeout: 20_000, interval: 10 };

describe('SqliteEventStore', () => {
  let dir: string;
  let file: string;
  const toClose: Array<{ close(): Promise<void> }> = [];
  const children: Array<{ kill9(): Promise<void> }> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hg-es-sqlite-'));
    file = join(dir, 'data', 'events.db');
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill9();
    for (const store of toClose.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (path = file, options?: Parameters<typeof SqliteEventStore.open>[1]) => {
    const store = SqliteEventStore.open(path, options);
    toClose.push(store);
    return store;
  };

  function openError(path: string): StoreUnavailable {
    try {
      open(path);
    } catch (error) {
      expect(error).toBeInstanceOf(StoreUnavailable);
      return error as StoreUnavailable;
    }
    throw new Error(`expected opening ${path} to fail`);
  }

  it('refuses positions no event can start at, for reads and subscriptions alike', async () => {
    const store = open();
    await expect(store.readAll({ fromPosition: -1n })).rejects.toBeInstanceOf(InvalidPosition);
    await expect(store.readAll({ fromPosition: 2n ** 60n })).rejects.toBeInstanceOf(InvalidPosition);
    const subscription = store.subscribeToAll({ fromPosition: 2n ** 60n })[Symbol.asyncIterator]();
    await expect(subscription.next()).rejects.toBeInstanceOf(InvalidPosition);
  });

  it('creates the parent directory and the file, and works after reopening', async () => {
    const store = open();
    expect(existsSync(file)).toBe(true);
    expect(store.file).toBe(file);
    await store.appendToStream('s-1', [{ type: 'T', data: { a: 1 } }]);
    await store.close();
    const reopened = open();
    expect((await reopened.readStream('s-1')).map((e) => e.data)).toEqual([{ a: 1 }]);
    await reopened.ping();
  });

  it('refuses a second process while the file is open, naming the file, and stays intact', async () => {
    const store = open();
    await store.appendToStream('s-1', [{ type: 'T', data: { n: 1 } }]);
    const child = startChild('open', file);
    children.push(child);
    expect(await child.exited).toBe(0);
    const outcome = JSON.parse(child.lines[0]!) as { ok: boolean; name: string; message: string };
    expect(outcome.ok).toBe(false);
    expect(outcome.name).toBe('StoreUnavailable');
    expect(outcome.message).toContain(file);
    expect(outcome.message).toContain('another process');
    await store.appendToStream('s-1', [{ type: 'T', data: { n: 2 } }], { expectedRevision: 0n });
    await store.close();
    expect((await open().readStream('s-1')).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('refuses to open a file another process holds, and opens it once that process is killed', async () => {
    const child = startChild('hold', file);
    children.push(child);
    await vi.waitFor(() => expect(child.lines, child.stderr()).toContain('ready'), childWait);
    const error = openError(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain('another process');

    // kill -9 leaves no stale lock: the OS releases it with the process.
    await child.kill9();
    const store = open();
    expect((await store.readStream('held-1')).map((e) => e.type)).toEqual(['Held']);
  });

  it('keeps every acknowledged append, whole, when the writing process is killed with SIGKILL', async () => {
    const child = startChild('append-forever', file);
    children.push(child);
    await vi.waitFor(() => expect(child.lines.length, child.stderr()).toBeGreaterThanOrEqual(300), childWait);
    await child.kill9();
    const acked = child.lines.filter((line) => line.startsWith('ack ')).map((line) => BigInt(line.slice(4)));
    expect(acked.length).toBeGreaterThanOrEqual(300);

    const store = open();
    const all = [];
    for (let from: bigint | 'start' = 'start'; ; ) {
      const page = await store.readAll({ fromPosition: from, maxCount: 1000 });
      all.push(...page);
      if (page.length < 1000) break;
      from = page[page.length - 1]!.position + 1n;
    }
    // Every acknowledged append is there; positions are 1..n with no gaps; appends are whole.
    expect(all.length).toBeGreaterThanOrEqual(acked.length * 3);
    expect(all.length % 3).toBe(0);
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => BigInt(i + 1)));
    expect(acked.every((position) => position <= BigInt(all.length))).toBe(true);
    all.forEach((event, i) => expect(event.data).toEqual({ batch: Math.floor(i / 3), part: i % 3 }));
    for (let s = 0; s < 5; s++) {
      const stream = await store.readStream(`crash-${s}`);
      expect(stream.map((e) => e.revision)).toEqual(stream.map((_, i) => BigInt(i)));
    }
    const next = await store.appendToStream('after-crash', [{ type: 'T', data: {} }]);
    expect(next.position).toBe(BigInt(all.length + 1));
  });

  it('refuses a file of garbage bytes, naming it, and leaves it byte-for-byte unchanged', () => {
    mkdirSync(join(dir, 'data'));
    const garbage = randomBytes(8192);
    writeFileSync(file, garbage);
    const error = openError(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/corrupt|not an event store/);
    expect(readFileSync(file).equals(garbage)).toBe(true);
    expect(readdirSync(join(dir, 'data'))).toEqual(['events.db']);
  });

  it('refuses a file with a SQLite header but a garbage first page, leaving it unchanged', () => {
    mkdirSync(join(dir, 'data'));
    const bytes = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), randomBytes(4080)]);
    writeFileSync(file, bytes);
    const error = openError(file);
    expect(error.message).toContain(file);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('refuses a SQLite file whose pages are corrupt, naming it', async () => {
    const store = open();
    await store.appendToStream('s-1', Array.from({ length: 2000 }, (_, n) => ({ type: 'T', data: { n, pad: 'x'.repeat(200) } })));
    await store.close();
    const bytes = readFileSync(file);
    randomBytes(bytes.length - 8192).copy(bytes, 8192);
    writeFileSync(file, bytes);
    const attempt = async () => {
      const reopened = open();
      await reopened.readAll({ maxCount: 5000 });
    };
    const error = await attempt().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/corrupt|malformed/);
  });

  it('refuses a directory at the path', () => {
    mkdirSync(file, { recursive: true });
    const error = openError(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain('directory');
  });

  it('refuses a SQLite database that is not an event store, without modifying it', () => {
    mkdirSync(join(dir, 'data'));
    const foreign = new Database(file);
    foreign.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    foreign.close();
    const before = readFileSync(file);
    const error = openError(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain('not an event store');
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a second store on the same file within one process', () => {
    open();
    expect(openError(file).message).toContain('another process');
  });

  it('ends live subscriptions cleanly on close and refuses calls afterwards', async () => {
    const store = open();
    await store.appendToStream('s-1', [{ type: 'T', data: {} }]);
    const kinds: string[] = [];
    let failure: unknown;
    const done = (async () => {
      try {
        for await (const message of store.subscribeToAll()) kinds.push(message.kind);
      } catch (error) {
        failure = error;
      }
    })();
    await vi.waitFor(() => expect(kinds).toEqual(['event', 'caughtUp']));
    await store.close();
    await done;
    expect(failure).toBeUndefined();
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(store.appendToStream('s-1', [{ type: 'T', data: {} }])).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it('reports caughtUp with a null position on an empty store', async () => {
    const store = open();
    const controller = new AbortController();
    const messages = [];
    for await (const message of store.subscribeToAll({ signal: controller.signal })) {
      messages.push(message);
      controller.abort();
    }
    expect(messages).toEqual([{ kind: 'caughtUp', position: null }]);
  });

  it('catches up across many pages with a selective filter, then reports the head as caught up', async () => {
    const store = open(file, { subscriptionBatchSize: 7 });
    for (let n = 0; n < 50; n++) await store.appendToStream(n % 10 === 0 ? `rare-${n}` : `common-${n % 3}`, [{ type: 'T', data: { n } }]);
    const controller = new AbortController();
    const seen: number[] = [];
    let caughtUpAt: bigint | null = null;
    for await (const message of store.subscribeToAll({ filter: { streamPrefixes: ['rare-'] }, signal: controller.signal })) {
      if (message.kind === 'event') seen.push((message.event.data as { n: number }).n);
      else {
        caughtUpAt = message.position;
        controller.abort();
      }
    }
    expect(seen).toEqual([0, 10, 20, 30, 40]);
    expect(caughtUpAt).toBe(50n);
  });

  it('opens with synchronous=full for power-loss durability', async () => {
    const store = open(file, { synchronous: 'full' });
    await store.appendToStream('s-1', [{ type: 'T', data: { n: 1 } }]);
    await store.close();
    expect((await open().readStream('s-1')).map((e) => e.data)).toEqual([{ n: 1 }]);
  });
});
