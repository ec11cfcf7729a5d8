import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StoreUnavailable, WrongExpectedVersion } from '../errors.js';
import type { RecordedEvent } from '../port.js';
import { SqliteEventStore } from './sqlite-event-store.js';

const event = (n: number) => ({ type: 'T', data: { n } });

/** Every event of the log, in order, as `stream@revision#n`. */
async function logOf(store: SqliteEventStore): Promise<string[]> {
  const events: RecordedEvent[] = await store.readAll({ maxCount: 10_000 });
  return events.map((e) => `${e.streamName}@${e.revision}#${(e.data as { n: number }).n}`);
}

describe('SqliteEventStore: appends asked for together are committed together', () => {
  let dir: string;
  let file: string;
  let store: SqliteEventStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hg-es-group-'));
    file = join(dir, 'events.db');
    store = SqliteEventStore.open(file);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks each append against the stream as the appends before it in the group left it', async () => {
    const outcomes = await Promise.allSettled([
      store.appendToStream('a', [event(1)], { expectedRevision: 'no_stream' }),
      store.appendToStream('a', [event(2), event(3)], { expectedRevision: 0n }),
      store.appendToStream('b', [event(4)], { expectedRevision: 5n }),
      store.appendToStream('b', [event(5)], { expectedRevision: 'no_stream' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersion);
    expect(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [[o.value.position, o.value.nextExpectedRevision]] : []))).toEqual([
      [1n, 0n],
      [3n, 2n],
      [4n, 0n],
    ]);
    // The refused append left no trace: positions stay gapless, in the order the appends were asked for.
    expect(await logOf(store)).toEqual(['a@0#1', 'a@1#2', 'a@2#3', 'b@0#5']);
  });

  it('refuses every append of a group whose commit fails, stores none of them, and commits the next group', async () => {
    await store.appendToStream('a', [event(0)]);
    // The driver's statements share one prototype: its COMMIT fails once, as on a full disk.
    const probe = new Database(':memory:');
    const statements = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...args: unknown[]) => unknown };
    probe.close();
    const run = statements.run;
    let failed = 0;
    vi.spyOn(statements, 'run').mockImplementation(function (this: { source: string }, ...args: unknown[]) {
      if (this.source === 'COMMIT' && failed++ === 0) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return run.apply(this, args);
    });
    const outcomes = await Promise.allSettled([store.appendToStream('a', [event(1)]), store.appendToStream('b', [event(2)])]);
    expect(failed).toBe(1);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailable);
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/SQLITE_FULL/);
    }
    expect(await logOf(store)).toEqual(['a@0#0']);
    await store.appendToStream('a', [event(3)], { expectedRevision: 0n });
    await store.close();
    store = SqliteEventStore.open(file);
    expect(await logOf(store)).toEqual(['a@0#0', 'a@1#3']);
  });

  it('commits the appends already asked for when closed, and refuses appends after', async () => {
    const asked = [store.appendToStream('a', [event(1)]), store.appendToStream('b', [event(2)])];
    await store.close();
    await expect(Promise.all(asked)).resolves.toHaveLength(2);
    await expect(store.appendToStream('a', [event(3)])).rejects.toBeInstanceOf(StoreUnavailable);
    store = SqliteEventStore.open(file);
    expect(await logOf(store)).toEqual(['a@0#1', 'b@0#2']);
  });
});
