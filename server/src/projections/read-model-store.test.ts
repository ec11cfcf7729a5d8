import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

  it('starts empty, then keeps rows and the checkpoint across reopening', () => {
    const store = new SqliteReadModelStore(file);
    expect(store.load()).toEqual({ position: null, records: [] });
    store.save([sensor('s-1', 'one'), { kind: 'job', id: 'j-1', record: { id: 'j-1', status: 'pending' } }], 7n);
    store.save([sensor('s-1', 'renamed'), { kind: 'job', id: 'j-1', record: null }], 9n);
    store.close();
    const reopened = new SqliteReadModelStore(file);
    expect(reopened.load()).toEqual({ position: 9n, records: [{ kind: 'sensor', record: sensor('s-1', 'renamed').record }] });
    reopened.close();
  });

  it('stores large saves in order, each whole with its checkpoint, and reads them back before and after closing', () => {
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
    const loaded = store.load();
    expect(loaded.position).toBe(201n);
    expect(sorted(loaded.records)).toEqual(want);
    store.close();
    const reopened = new SqliteReadModelStore(file);
    const again = reopened.load();
    expect(again.position).toBe(201n);
    expect(sorted(again.records)).toEqual(want);
    reopened.close();
  });

  it('stores a large save handed over in many messages, with plain, non-ASCII and very long rows', () => {
    const store = new SqliteReadModelStore(file);
    const huge = { kind: 'sensor' as const, id: 's-huge', record: { id: 's-huge', note: 'ü'.repeat(600_000) } };
    const ascii: Row[] = Array.from({ length: 20_000 }, (_, i) => ({ kind: 'sensor', id: `a-${i}`, record: { id: `a-${i}`, name: `plain ${i}` } }));
    const rows: Row[] = [...ascii, ...Array.from({ length: 5_000 }, (_, i) => sensor(`s-${i}`, `name ${i}`)), huge, sensor('s-after', 'after the huge row')];
    store.save(rows, 5n);
    store.close();
    const reopened = new SqliteReadModelStore(file);
    const loaded = reopened.load();
    expect(loaded.position).toBe(5n);
    expect(loaded.records).toHaveLength(rows.length);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-huge')?.record).toEqual(huge.record);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-after')?.record).toEqual(sensor('s-after', 'after the huge row').record);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 'a-19999')?.record).toEqual(ascii[19_999]!.record);
    expect(loaded.records.find(({ record }) => (record as { id: string }).id === 's-4999')?.record).toEqual(sensor('s-4999', 'name 4999').record);
    reopened.close();
  });

  it('changes and deletes rows in place across reopening, whatever their ids hold', () => {
    const ids = ['plain', 'with "quotes"', 'back\\slash', 'tab\there', 'ünïcode', 'line\nbreak'];
    const first = new SqliteReadModelStore(file);
    first.save(ids.map((id) => sensor(id, `first ${id}`)), 1n);
    first.close();
    const second = new SqliteReadModelStore(file);
    second.save([...ids.slice(0, 3).map((id) => sensor(id, `second ${id}`)), ...ids.slice(3).map((id) => ({ kind: 'sensor' as const, id, record: null }))], 2n);
    second.save([sensor(ids[4]!, 'back again')], 3n);
    second.close();
    const third = new SqliteReadModelStore(file);
    const loaded = third.load();
    third.close();
    expect(loaded.position).toBe(3n);
    const want = [...ids.slice(0, 3).map((id) => sensor(id, `second ${id}`)), sensor(ids[4]!, 'back again')];
    expect(sorted(loaded.records)).toEqual(sorted(want.map(({ kind, record }) => ({ kind, record }))));
    // One stored row per record: changes were written over the old rows, not next to them.
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM rows').pluck().get()).toBe(4);
    db.close();
  });

  it('drops rows stored in an older shape, so they are rebuilt from the log', () => {
    const old = new Database(file);
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE rows (kind TEXT NOT NULL, id TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
      INSERT INTO meta VALUES ('schema', '1'), ('position', '42');
      INSERT INTO rows VALUES ('sensor', 's-1', '{"id":"s-1"}');
    `);
    old.close();
    const store = new SqliteReadModelStore(file);
    expect(store.load()).toEqual({ position: null, records: [] });
    store.save([sensor('s-2', 'two')], 3n);
    expect(store.load()).toEqual({ position: 3n, records: [{ kind: 'sensor', record: sensor('s-2', 'two').record }] });
    store.close();
  });
});
