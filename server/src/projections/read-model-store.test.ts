import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordKind } from './records.js';
import { SqliteReadModelStore } from './read-model-store.js';

type Row = { kind: RecordKind; id: string; record: unknown | null };

const sensor = (id: string, name: string) => ({ kind: 'sensor' as const, id, record: { id, name, tags: ['a\tb', 'line\nbreak'], note: 'é "quoted"' } });

describe('SqliteReadModelStore', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hg-readmodels-'));
    file = join(dir, 'readmodels.sqlite');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const sorted = (records: { kind: RecordKind; record: unknown }[]) =>
    [...records].sort((a, b) => `${a.kind}:${(a.record as { id: string }).id}`.localeCompare(`${b.kind}:${(b.record as { id: string }).id}`));

  it('starts empty, then keeps rows and the checkpoint across reopening', async () => {
    const store = new SqliteReadModelStore(file);
    expect(await store.loadAsync()).toEqual({ position: null, records: [] });
    store.save([sensor('s-1', 'one'), { kind: 'job', id: 'j-1', record: { id: 'j-1', status: 'pending' } }], 7n);
    store.save([sensor('s-1', 'renamed'), { kind: 'job', id: 'j-1', record: null }], 9n);
    await store.closeAsync();
    const reopened = new SqliteReadModelStore(file);
    expect(await reopened.loadAsync()).toEqual({ position: 9n, records: [{ kind: 'sensor', record: sensor('s-1', 'renamed').record }] });
    await reopened.closeAsync();
  });

  it('stores large saves in order, each whole with its checkpoint, and reads them back before and after closing', async () => {
    const store = new SqliteReadModelStore(file);
    const first: Row[] = Array.from({ length: 12_000 }, (_, i) => sensor(`s-${i}`, `first ${i}`));
    store.save(first, 100n);
    // Later saves change some rows, delete some and add some: the last word on each row wins.
    const second: Row[] = [
      ...Array.from({ length: 6_000 }, (_, i) => sensor(`s-${i * 2}`, `second ${i * 2}`)),
      ...Array.from({ length: 100 }, (_, i) => ({ kind: 'sensor' as const, id: `s-${i * 2 + 1}`, record: null })),
    ];
    store.save(second, 200n);
    store.save([sensor('s-new', 'small save after large ones')], 201n);
    const expected = new Map<string, unknown>();
    for (const row of [...first, ...second, sensor('s-new', 'small save after large ones')]) {
      if (row.record === null) expected.delete(row.id);
      else expected.set(row.id, row.record);
    }
    const want = sorted([...expected.values()].map((record) => ({ kind: 'sensor' as RecordKind, record })));
    const loaded = await store.loadAsync();
    expect(loaded.position).toBe(201n);
    expect(sorted(loaded.records)).toEqual(want);
    await store.closeAsync();
    const reopened = new SqliteReadModelStore(file);
    const again = await reopened.loadAsync();
    expect(again.position).toBe(201n);
    expect(sorted(again.records)).toEqual(want);
    await reopened.closeAsync();
  });

  it('stores a large save handed over in many messages, with plain, non-ASCII and very long rows', async () => {
    const store = new SqliteReadModelStore(file);
    const huge = { kind: 'sensor' as const, id: 's-huge', record: { id: 's-huge', note: 'ü'.repeat(600_000) } };
    const ascii: Row[] = Array.from({ length: 20_000 }, (_, i) => ({ kind: 'sensor', id: `a-${i}`, record: { id: `a-${i}`, name: `plain ${i}` } }));
    const rows: Row[] = [...ascii, ...Array.from({ length: 5_000 }, (_, i) => sensor(`s-${i}`, `name ${i}`)), huge, sensor('s-after', 'after the huge row')];
    store.save(rows, 5n);
    await store.closeAsync();
    const reopened = new SqliteReadModelStore(file);
    const loaded = await reopened.loadAsync();
    expect(loaded.position).toBe(5n);
    expect(loaded.records).toHaveLength(rows.length);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-huge')?.record).toEqual(huge.record);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-after')?.record).toEqual(sensor('s-after', 'after the huge row').record);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 'a-19999')?.record).toEqual(ascii[19_999]!.record);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-4999')?.record).toEqual(sensor('s-4999', 'name 4999').record);
    await reopened.closeAsync();
  });

  it('stores a save handed over in slices whole, with its checkpoint, in order with the saves around it', async () => {
    const store = new SqliteReadModelStore(file);
    store.save([sensor('s-gone', 'deleted by the sliced save')], 1n);
    const sliced: Row[] = [...Array.from({ length: 2_345 }, (_, i) => sensor(`s-${i}`, `sliced ${i}`)), { kind: 'sensor', id: 's-gone', record: null }];
    await store.saveInSlices(sliced, 2n, 500);
    store.save([sensor('s-0', 'after the sliced save')], 3n);
    await store.closeAsync();
    const reopened = new SqliteReadModelStore(file);
    const loaded = await reopened.loadAsync();
    expect(loaded.position).toBe(3n);
    expect(sorted(loaded.records)).toEqual(sorted([sensor('s-0', 'after the sliced save'), ...sliced.slice(1, -1)].map(({ record }) => ({ kind: 'sensor' as RecordKind, record }))));
    await reopened.closeAsync();
  });

  it('changes and deletes rows in place across reopening, whatever their ids hold', async () => {
    const ids = ['plain', 'with "quotes"', 'back\\slash', 'tab\there', 'ünïcode', 'line\nbreak'];
    const first = new SqliteReadModelStore(file);
    first.save(ids.map((id) => sensor(id, `first ${id}`)), 1n);
    await first.closeAsync();
    const second = new SqliteReadModelStore(file);
    second.save([...ids.slice(0, 3).map((id) => sensor(id, `second ${id}`)), ...ids.slice(3).map((id) => ({ kind: 'sensor' as const, id, record: null }))], 2n);
    second.save([sensor(ids[4]!, 'back again')], 3n);
    await second.closeAsync();
    const third = new SqliteReadModelStore(file);
    const loaded = await third.loadAsync();
    await third.closeAsync();
    expect(loaded.position).toBe(3n);
    const want = [...ids.slice(0, 3).map((id) => sensor(id, `second ${id}`)), sensor(ids[4]!, 'back again')];
    expect(sorted(loaded.records)).toEqual(sorted(want.map(({ kind, record }) => ({ kind, record }))));
    // One stored row per record: changes were written over the old rows, not next to them.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(4);
    db.close();
  });

  it('drops rows stored in an older shape, so they are rebuilt from the log', async () => {
    const old = new Database(file);
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE rows (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
      INSERT INTO meta VALUES ('schema', '1'), ('position', '42');
      INSERT INTO rows VALUES ('sensor', 's-1', '{"id":"s-1"}');
    `);
    old.close();
    const store = new SqliteReadModelStore(file);
    expect(await store.loadAsync()).toEqual({ position: null, records: [] });
    store.save([sensor('s-2', 'two')], 3n);
    expect(await store.loadAsync()).toEqual({ position: 3n, records: [{ kind: 'sensor', record: sensor('s-2', 'two').record }] });
    await store.closeAsync();
  });
  it('closes without waiting: a store opened next on the file loads every row, and writes after them without repeating any', async () => {
    const store = new SqliteReadModelStore(file);
    const rows: Row[] = Array.from({ length: 20_000 }, (_, i) => sensor(`s-${i}`, `first ${i}`));
    store.save(rows, 10n);
    store.close();
    const next = new SqliteReadModelStore(file);
    // The rows the closed store handed over are written by now, or will be before this writer starts.
    next.save([sensor('s-0', 'changed by the next store'), sensor('s-new', 'new')], 11n);
    const loaded = await next.loadAsync();
    expect(loaded.position).toBe(11n);
    expect(loaded.records).toHaveLength(20_001);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-0')?.record).toEqual(sensor('s-0', 'changed by the next store').record);
    await next.closeAsync();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(20_001);
    db.close();
  });

  it('refuses a synchronous load while a save is still being written, and loads it once written', async () => {
    const store = new SqliteReadModelStore(file);
    await store.loadAsync();
    // Another connection holds the write lock: the writer thread waits for it, the caller does not.
    const blocker = new Database(file);
    blocker.exec('BEGIN IMMEDIATE');
    store.save([sensor('s-1', 'one')], 1n);
    expect(() => store.load()).toThrow(`The read model file ${file} is still being written: load it with loadAsync()`);
    blocker.exec('COMMIT');
    blocker.close();
    expect(await store.loadAsync()).toEqual({ position: 1n, records: [{ kind: 'sensor', record: sensor('s-1', 'one').record }] });
    expect(store.load().position).toBe(1n);
    await store.closeAsync();
  });

  it('reports a save that could not be written, naming the file: to closeAsync, or to the log after close', async () => {
    const broken = async (log?: (line: string) => void) => {
      const store = new SqliteReadModelStore(file, log);
      store.save([sensor('s-1', 'one')], 1n);
      await store.loadAsync();
      const other = new Database(file);
      other.exec('DROP TABLE rows');
      other.close();
      store.save([sensor('s-2', 'two')], 2n);
      return store;
    };
    await expect((await broken()).closeAsync()).rejects.toThrow(`Writing the read model file ${file} failed: no such table: rows`);
    rmSync(file, { force: true });
    const logged: string[] = [];
    (await broken((line) => logged.push(line))).close();
    await vi.waitFor(() => expect(logged).toEqual([`Writing the read model file ${file} failed: no such table: rows`]));
  });

  it('writes from the built package as the service runs it (node on dist/)', async () => {
    const fixture = fileURLToPath(new URL('./read-model-store-dist.fixture.mjs', import.meta.url));
    expect(existsSync(fileURLToPath(new URL('../../dist/projections/read-model-writer.js', import.meta.url))), 'server/dist is missing: run npm run build').toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [fixture, file]);
    expect(JSON.parse(stdout)).toEqual({ position: '2', records: [{ kind: 'sensor', record: { id: 's-1', name: 'second' } }] });
  });
});
