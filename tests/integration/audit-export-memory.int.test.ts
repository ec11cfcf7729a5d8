import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '@harborguard/eventstore';
import { AuditQueries } from '../../server/src/projections/audit-queries.js';
import { handleAuditExport } from '../../server/src/http/audit-export.js';
import { FailedAuthLimiter } from '../../server/src/api/auth-limiter.js';
import { AppError } from '../../server/src/domain/errors.js';
import type { Context } from '../../server/src/api/context.js';
import type { ApiServices } from '../../server/src/api/services.js';

const EVENTS = 1_000_000;
const BATCH = 1_000;
/** Every this many events, one belongs to another org: the export leaves it out. */
const FOREIGN_EVERY = 100;
const T0 = Date.parse('2026-10-01T00:00:00.000Z');
const TOKEN = 'auditor-token';

/** A full collection before each heap sample, so the samples count what is live, not garbage awaiting collection. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const liveHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

const orgOf = (index: number) => (index % FOREIGN_EVERY === FOREIGN_EVERY - 1 ? 'other' : 'default');
const dataOf = (index: number) => ({ sensorId: `s${index % 1000}`, at: new Date(T0 + index).toISOString(), from: 'offline' });

/** Writes a million-event log through the store port, in batches (the service would need a year of outages for it). */
async function writeLog(store: SqliteEventStore): Promise<void> {
  for (let first = 0; first < EVENTS; first += BATCH) {
    const events = Array.from({ length: BATCH }, (_, offset) => {
      const index = first + offset;
      return { type: 'SensorCameOnline', data: dataOf(index), metadata: { orgId: orgOf(index), occurredAt: new Date(T0 + index).toISOString(), actor: { kind: 'sensor', id: `s${index % 1000}` } } };
    });
    await store.appendToStream(`sensor-s${(first / BATCH) % 1000}`, events, { expectedRevision: 'any' });
  }
}

/** Just what the export handler uses of the service: an auditor of the default org, and the audit queries over the store. */
function exportServer(store: SqliteEventStore): Server {
  const app = {
    ready: true,
    access: {
      authenticateUser: (authorization: string | undefined) => {
        if (authorization !== `Bearer ${TOKEN}`) throw new AppError('unauthorized', 'Invalid token');
        return { kind: 'user', orgId: 'default', tokenId: 't', role: 'auditor' };
      },
    },
    readModelsCurrent: async () => {},
    audit: new AuditQueries(store, () => []),
  } as unknown as ApiServices;
  const authLimiter = new FailedAuthLimiter();
  return createServer((req, res) => {
    const ctx: Context = { app, authorization: req.headers.authorization, clientAddress: '127.0.0.1', authLimiter };
    void handleAuditExport(ctx, req, res, req.url ?? '/');
  });
}

describe('GET /api/audit/export over a million events', () => {
  let dir: string;
  let store: SqliteEventStore;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hg-export-'));
    store = SqliteEventStore.open(join(dir, 'events.sqlite'));
    await writeLog(store);
    server = exportServer(store);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }, 300_000);

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams every event of the org in order, each as written, while the heap stays flat', async () => {
    const response = await fetch(`${url}/api/audit/export?format=ndjson`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    const baseline = liveHeap();
    const samples: number[] = [];
    let bytes = 0;
    let received = 0;
    let index = 0;
    const lines = createInterface({ input: Readable.fromWeb(response.body as never), crlfDelay: Infinity });
    for await (const line of lines) {
      bytes += line.length + 1;
      while (orgOf(index) !== 'default') index++;
      const event = JSON.parse(line);
      // Round trip: what was written comes back, at its position, nothing of the other org in between.
      if (event.position !== String(index + 1) || event.type !== 'SensorCameOnline' || event.data.at !== dataOf(index).at || event.metadata.orgId !== 'default') {
        throw new Error(`line ${received} is not event ${index}: ${line}`);
      }
      index++;
      if (++received % 100_000 === 0) samples.push(liveHeap() - baseline);
    }
    expect(received).toBe(EVENTS - EVENTS / FOREIGN_EVERY);
    // Hundreds of megabytes went through; what stayed live was a few pages' worth, and did not grow with the log.
    expect(bytes).toBeGreaterThan(200 * 1024 * 1024);
    expect(samples.length).toBe(9);
    expect(Math.max(...samples)).toBeLessThan(48 * 1024 * 1024);
    expect(samples.at(-1)!).toBeLessThan(samples[0]! + 16 * 1024 * 1024);
  }, 300_000);
});
