import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailable } from '../errors.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { startChild, startNode } from './start-child.fixture.js';

const LONG = 12_000;

/** Appends `count` events numbered from `offset`, in streams of 1000, half of them in `a-` streams and half in `b-`. */
async function fill(store: SqliteEventStore, count: number, offset = 0) {
  for (let written = 0; written < count; written += 1000) {
    const size = Math.min(1000, count - written);
    const events = Array.from({ length: size }, (_, i) => {
      const n = offset + written + i;
      return { type: n % 2 ? 'Odd' : 'Even', data: { n, text: `é ${n} "quoted" \u2028` }, metadata: { n } };
    });
    await store.appendToStream(`${offset + written < LONG / 2 ? 'a' : 'b'}-${(offset + written) / 1000}`, events);
  }
}

/** The numbers of the events of a forward scan in pages of `pageSize`, each page starting after the last. */
async function scan(store: SqliteEventStore, pageSize: number, onPage: (seen: number) => Promise<void> = async () => {}) {
  const seen: number[] = [];
  for (let from: bigint | 'start' = 'start'; ; ) {
    const page = await store.readAll({ fromPosition: from, maxCount: pageSize });
    seen.push(...page.map((e) => (e.data as { n: number }).n));
    await onPage(seen.length);
    if (page.length < pageSize) return seen;
    from = page[page.length - 1]!.position + 1n;
  }
}

const upTo = (count: number, from = 0) => Array.from({ length: count }, (_, i) => from + i);

describe('SqliteEventStore long forward scans (read ahead by a worker thread)', () => {
  let dir: string;
  let file: string;
  /** What the stores reported: a read-ahead that fell back to reading in-process says so here. */
  let logged: string[];
  const toClose: Array<{ close(): Promise<void> }> = [];
  const children: Array<{ kill9(): Promise<void> }> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hg-es-readahead-'));
    file = join(dir, 'events.db');
    logged = [];
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill9();
    for (const store of toClose.splice(0)) await store.close();
    rmSync(dir, { recursive: true, force: true });
    expect(logged).toEqual([]);
  });

  const open = () => {
    const store = SqliteEventStore.open(file, { log: (line) => logged.push(line) });
    toClose.push(store);
    return store;
  };

  async function openFromOtherProcess() {
    const child = startChild('open', file);
    children.push(child);
    expect(await child.exited).toBe(0);
    return JSON.parse(child.lines[0]!) as { ok: boolean; name: string; message: string };
  }

  it('pages through a long log in order, every event once and whole, including events appended mid-scan', async () => {
    const store = open();
    await fill(store, LONG);
    const seen: { position: bigint; n: number; revision: bigint; recordedAt: Date }[] = [];
    for (let from: bigint | 'start' = 'start'; ; ) {
      const page = await store.readAll({ fromPosition: from, maxCount: 500 });
      for (const event of page) {
        const data = event.data as { n: number; text: string };
        expect(data.text).toBe(`é ${data.n} "quoted" \u2028`);
        expect(event.metadata).toEqual({ n: data.n });
        expect(event.type).toBe(data.n % 2 ? 'Odd' : 'Even');
        seen.push({ position: event.position, n: data.n, revision: event.revision, recordedAt: event.recordedAt });
      }
      if (seen.length === 6000) await fill(store, 2000, LONG);
      if (page.length < 500) break;
      from = page[page.length - 1]!.position + 1n;
    }
    expect(seen.map((e) => e.n)).toEqual(upTo(LONG + 2000));
    expect(seen.map((e) => e.position)).toEqual(seen.map((_, i) => BigInt(i + 1)));
    expect(seen.every((e) => e.revision === BigInt(e.n % 1000) && e.recordedAt instanceof Date && !Number.isNaN(e.recordedAt.getTime()))).toBe(true);
  });

  it('serves scans that resume from the last event read (inclusive), and filtered scans', async () => {
    const store = open();
    await fill(store, LONG);
    const resumed: number[] = [];
    for (let from: bigint | 'start' = 'start'; ; ) {
      const page = await store.readAll({ fromPosition: from, maxCount: 700 });
      const fresh = from === 'start' ? page : page.slice(1);
      if (from !== 'start') expect(page[0]!.position).toBe(from);
      resumed.push(...fresh.map((e) => (e.data as { n: number }).n));
      if (page.length < 700) break;
      from = page[page.length - 1]!.position;
    }
    expect(resumed).toEqual(upTo(LONG));

    const filtered: number[] = [];
    for (let from: bigint | 'start' = 'start'; ; ) {
      const page = await store.readAll({ fromPosition: from, maxCount: 300, filter: { streamPrefixes: ['b-'], eventTypes: ['Odd'] } });
      filtered.push(...page.map((e) => (e.data as { n: number }).n));
      if (page.length < 300) break;
      from = page[page.length - 1]!.position + 1n;
    }
    expect(filtered).toEqual(upTo(LONG).filter((n) => n >= LONG / 2 && n % 2 === 1));
  });

  it('serves two readers paging through the same long log at once, each every event once, in order', async () => {
    const store = open();
    await fill(store, LONG);
    const [first, second] = await Promise.all([scan(store, 500), scan(store, 400)]);
    expect(first).toEqual(upTo(LONG));
    expect(second).toEqual(upTo(LONG));
  });

  it('catches a subscription up over a long log with appends arriving during catch-up: each event once, in order', async () => {
    const store = open();
    await fill(store, LONG);
    const controller = new AbortController();
    const seen: number[] = [];
    let appending: Promise<void> | undefined;
    for await (const message of store.subscribeToAll({ signal: controller.signal })) {
      if (message.kind === 'caughtUp') {
        await appending;
        if (seen.length === LONG + 3000) controller.abort();
        continue;
      }
      seen.push((message.event.data as { n: number }).n);
      if (seen.length === 5000) appending = fill(store, 3000, LONG);
      if (seen.length === LONG + 3000) controller.abort();
    }
    expect(seen).toEqual(upTo(LONG + 3000));
  });

  it('keeps refusing another process while a long scan is under way', async () => {
    const store = open();
    await fill(store, LONG);
    let from: bigint | 'start' = 'start';
    for (let pages = 0; pages < 12; pages++) {
      const page = await store.readAll({ fromPosition: from, maxCount: 500 });
      from = page[page.length - 1]!.position + 1n;
    }
    const outcome = await openFromOtherProcess();
    expect(outcome).toMatchObject({ ok: false, name: 'StoreUnavailable' });
    expect(outcome.message).toContain('another process');
    const rest = await store.readAll({ fromPosition: from, maxCount: 100_000 });
    expect(rest.map((e) => (e.data as { n: number }).n)).toEqual(upTo(LONG - 6000, 6000));
    await store.appendToStream('after-scan', [{ type: 'T', data: {} }], { expectedRevision: 'no_stream' });
    await store.close();
    expect((await open().readStream('after-scan')).length).toBe(1);
  });

  it('refuses a second store in the same process mid-scan, and hands the file over whole when closed mid-scan', async () => {
    const store = open();
    await fill(store, LONG);
    const seen = await scan(store, 500, async (count) => {
      if (count !== 6000) return;
      expect(() => SqliteEventStore.open(file)).toThrow(StoreUnavailable);
    });
    expect(seen).toEqual(upTo(LONG));
    // Closed while the worker is reading ahead: once close resolves, the file is free for a new owner.
    let from: bigint | 'start' = 'start';
    for (let pages = 0; pages < 12; pages++) from = (await store.readAll({ fromPosition: from, maxCount: 500 })).at(-1)!.position + 1n;
    await store.close();
    const reopened = open();
    await reopened.appendToStream('after-reopen', [{ type: 'T', data: {} }], { expectedRevision: 'no_stream' });
    expect((await openFromOtherProcess()).ok).toBe(false);
    const again = await scan(reopened, 500);
    expect(again.slice(0, LONG)).toEqual(upTo(LONG));
    expect(again).toHaveLength(LONG + 1);
  });

  it('reads ahead from the built package as the service runs it (node on dist/)', async () => {
    const fixture = fileURLToPath(new URL('./read-ahead-dist.fixture.mjs', import.meta.url));
    expect(existsSync(fileURLToPath(new URL('../../dist/sqlite/read-ahead-worker.js', import.meta.url))), 'eventstore/dist is missing: run npm run build').toBe(true);
    const child = startNode([fixture, file]);
    children.push(child);
    expect(await child.exited, child.stderr()).toBe(0);
    expect(JSON.parse(child.lines[0]!)).toEqual({ count: LONG, inOrder: true, logged: [] });
  });
});
