import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '@harborguard/eventstore';
import { verifyChain } from '../../server/src/core/chain-verify.js';
import { chainEvent } from '../../server/src/core/event-chain.js';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';
import { wireSensor } from '../support/sensor-clients.js';

const CLI = fileURLToPath(new URL('../../server/dist/cli/audit-verify.js', import.meta.url));
const FILES = ['events.sqlite', 'events.sqlite-wal', 'events.sqlite-shm'];

interface Row {
  position: number;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
}

describe('tamper evidence on the embedded store', () => {
  let original: string;
  const copies: string[] = [];

  beforeAll(async () => {
    const server = await TestServer.start();
    original = server.dataDir;
    const admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    const sensor = wireSensor(server.url, (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' })).key);
    const ids = [await sensor.register({ name: 'a', hostname: 'h1' }), await sensor.register({ name: 'b', hostname: 'h2' })];
    for (let round = 0; round < 3; round++) {
      await server.advance(OFFLINE_AFTER_MS);
      for (const id of ids) await sensor.heartbeat(id);
    }
    await server.settled();
    expect(await server.app.anchors.anchorNow()).toBe(true);
    // Nothing new but the anchor itself: no second anchor.
    expect(await server.app.anchors.anchorNow()).toBe(false);
    await server.advance(OFFLINE_AFTER_MS);
    await sensor.heartbeat(ids[0]!);
    await server.settled();
    expect(await server.app.anchors.anchorNow()).toBe(true);
    // After the last anchor: one more transition, which no anchor covers.
    await server.advance(OFFLINE_AFTER_MS);
    await server.stop();
  }, 60_000);

  afterAll(() => {
    for (const dir of [original, ...copies]) rmSync(dir, { recursive: true, force: true });
  });

  /** A copy of the data directory with the `events` table changed by hand, as someone with file access could. */
  function tampered(change: (db: Database.Database, rows: Row[]) => void): string {
    const dir = mkdtempSync(join(tmpdir(), 'hg-tamper-'));
    copies.push(dir);
    for (const file of FILES) if (existsSync(join(original, file))) copyFileSync(join(original, file), join(dir, file));
    const db = new Database(join(dir, 'events.sqlite'));
    change(db, db.prepare('SELECT * FROM events ORDER BY position').all() as Row[]);
    db.close();
    return dir;
  }

  async function verify(dir: string) {
    const store = SqliteEventStore.open(join(dir, 'events.sqlite'));
    try {
      return await verifyChain(store);
    } finally {
      await store.close();
    }
  }

  const anchors = (rows: Row[]) => rows.filter((row) => row.type === 'AuditAnchor');
  /** An event of a sensor stream with later events in its stream, before the first anchor. */
  const middleOfStream = (rows: Row[]) => rows.find((row) => row.type === 'SensorWentOffline' && row.position < anchors(rows)[0]!.position)!;
  const nextInStream = (rows: Row[], row: Row) => rows.find((other) => other.stream === row.stream && other.revision === row.revision + 1)!;
  const lastOfStreamBeforeAnchor = (rows: Row[]) => {
    const anchor = anchors(rows).at(-1)!.position;
    return rows.filter((row) => row.position < anchor && row.stream.startsWith('sensor-')).reverse().find((row) => !rows.some((later) => later.stream === row.stream && later.revision > row.revision))!;
  };

  it('finds the untouched log intact, anchored short of its newest event', async () => {
    const report = await verify(original);
    expect(report).toMatchObject({ intact: true, anchoredUpTo: expect.any(String) });
    expect(BigInt(report.checkedUpTo!)).toBeGreaterThan(BigInt(report.anchoredUpTo!));
    expect(report.firstBreak).toBeUndefined();
  });

  it('detects an edited event at its position', async () => {
    let target!: Row;
    const dir = tampered((db, rows) => {
      target = middleOfStream(rows);
      db.prepare("UPDATE events SET data = json_set(data, '$.at', '2020-01-01T00:00:00.000Z') WHERE position = ?").run(target.position);
    });
    expect((await verify(dir)).firstBreak).toEqual({ position: String(target.position), reason: expect.stringContaining('edited') });
  });

  it('detects an edit whose hash was recomputed, at the next event of its stream or at the anchor', async () => {
    let next!: Row;
    const dir = tampered((db, rows) => {
      const target = middleOfStream(rows);
      next = nextInStream(rows, target);
      const data = { ...JSON.parse(target.data), at: '2020-01-01T00:00:00.000Z' };
      const metadata = JSON.parse(target.metadata);
      const rechained = chainEvent({ streamName: target.stream, revision: BigInt(target.revision), id: target.id, type: target.type, data, metadata }, metadata.chain.prev);
      db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(JSON.stringify(data), JSON.stringify(rechained.metadata), target.position);
    });
    expect((await verify(dir)).firstBreak).toEqual({ position: String(next.position), reason: expect.stringContaining('previous-hash') });
  });

  it('detects a deleted event in the middle of a stream', async () => {
    let next!: Row;
    const dir = tampered((db, rows) => {
      const target = middleOfStream(rows);
      next = nextInStream(rows, target);
      db.prepare('DELETE FROM events WHERE position = ?').run(target.position);
    });
    expect((await verify(dir)).firstBreak).toEqual({ position: String(next.position), reason: expect.stringContaining('missing') });
  });

  it("detects a stream's newest event deleted before an anchor, at the anchor", async () => {
    let anchor!: Row;
    const dir = tampered((db, rows) => {
      anchor = anchors(rows).at(-1)!;
      db.prepare('DELETE FROM events WHERE position = ?').run(lastOfStreamBeforeAnchor(rows).position);
    });
    expect((await verify(dir)).firstBreak).toEqual({ position: String(anchor.position), reason: expect.stringMatching(/removed/) });
  });

  it('detects two events of one stream swapped, and two of different streams swapped', async () => {
    let later!: Row;
    const sameStream = tampered((db, rows) => {
      const target = middleOfStream(rows);
      later = nextInStream(rows, target);
      swap(db, target.position, later.position);
    });
    expect((await verify(sameStream)).firstBreak).toMatchObject({ reason: expect.stringContaining('out of order') });

    let anchor!: Row;
    const acrossStreams = tampered((db, rows) => {
      anchor = anchors(rows)[0]!;
      const before = rows.filter((row) => row.position < anchor.position && row.stream.startsWith('sensor-'));
      const [a, b] = [before.at(-1)!, before.findLast((row) => row.stream !== before.at(-1)!.stream)!];
      swap(db, a.position, b.position);
    });
    expect((await verify(acrossStreams)).firstBreak).toEqual({ position: String(anchor.position), reason: expect.stringContaining('reordered') });
  });

  it('cannot tell a cut of the newest events after the last anchor: the log reads intact, only shorter', async () => {
    let lastAnchor!: Row;
    const dir = tampered((db, rows) => {
      lastAnchor = anchors(rows).at(-1)!;
      db.prepare('DELETE FROM events WHERE position > ?').run(lastAnchor.position);
    });
    expect(await verify(dir)).toMatchObject({ intact: true, checkedUpTo: String(lastAnchor.position) });
  });

  it('answers the same through npm run audit:verify: exit 0 when intact, 1 with the break otherwise', async () => {
    const run = (dir: string) =>
      promisify(execFile)(process.execPath, [CLI, '--data-dir', dir]).then(
        (out) => ({ code: 0, out: out.stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, out: error.stdout }),
      );
    const intact = await run(original);
    expect(intact).toMatchObject({ code: 0, out: expect.stringMatching(/intact up to position \d+ \(anchored up to position \d+\)/) });
    const broken = await run(tampered((db, rows) => db.prepare('DELETE FROM events WHERE position = ?').run(middleOfStream(rows).position)));
    expect(broken).toMatchObject({ code: 1, out: expect.stringMatching(/BROKEN at position \d+: .*missing/) });
    const nothing = await run(join(original, 'nowhere'));
    expect(nothing.code).toBe(2);
  });
});

function swap(db: Database.Database, a: number, b: number): void {
  db.transaction(() => {
    db.prepare('UPDATE events SET position = -1 WHERE position = ?').run(a);
    db.prepare('UPDATE events SET position = ? WHERE position = ?').run(a, b);
    db.prepare('UPDATE events SET position = ? WHERE position = -1').run(b);
  })();
}
