import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ServiceMetrics } from '../../server/src/observability/metrics.js';
import type { RequestLine } from '../../server/src/http/request-tracking.js';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp } from '../support/http-clients.js';

/**
 * The heartbeat route counts and logs its answers itself rather than through the route
 * table's tracking: the metrics and access-log lines must be the same, one per request, with
 * 499 for a client that left before its answer.
 */

const HEARTBEAT = '/api/agent/heartbeat';

describe('heartbeat metrics and access log', () => {
  let server: TestServer;
  let metrics: ServiceMetrics;
  let lines: RequestLine[];
  let key: string;
  let before: Record<'2xx' | '4xx', number>;

  beforeEach(async () => {
    lines = [];
    metrics = new ServiceMetrics(() => null);
    server = await TestServer.start({ http: { metrics, requestLog: (line) => lines.push(line) } });
    ({ key } = await new TrpcHttp(server.url, ADMIN_TOKEN).do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' }));
    // The key's creation is counted too: the counts below are taken from when it was.
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    lines.length = 0;
    before = { '2xx': await requests('2xx'), '4xx': await requests('4xx') };
  });

  afterEach(() => server.destroy());

  /** A sample of the exposition text, 0 when it is absent. */
  async function sample(series: string): Promise<number> {
    const { body } = await metrics.exposition();
    const line = body.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }
  const requests = (statusClass: '2xx' | '4xx') => sample(`harborguard_http_requests_total{status="${statusClass}"}`);
  const answered = async (statusClass: '2xx' | '4xx') => (await requests(statusClass)) - before[statusClass];
  const heartbeatsObserved = () => sample('harborguard_heartbeat_duration_seconds_count{transport="wire"}');

  const beat = (secret: string, body: string, requestId: string) =>
    fetch(`${server.url}${HEARTBEAT}`, { method: 'POST', headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json', 'X-Request-Id': requestId }, body });

  it('counts each answered heartbeat once, by status, and logs it with its request id', async () => {
    // An unknown id (the sensor is created: the answer waits for its events) and the same id again (answered at once).
    for (const id of ['hb-new', 'hb-again', 'hb-third']) expect((await beat(key, '{"agentId":"sensor-1"}', id)).status).toBe(200);
    expect((await beat('hg_ak_0123456789abcdef0123456789abcdef', '{"agentId":"sensor-1"}', 'hb-bad-key')).status).toBe(401);
    expect((await beat(key, '{"agentId":', 'hb-bad-body')).status).toBe(400);

    // A refusal is counted once its connection is done with it, which may come just after the client read it.
    await vi.waitFor(() => expect(lines.map((line) => line.requestId)).toContain('hb-bad-body'));
    expect(lines.map(({ requestId, method, path, status }) => ({ requestId, method, path, status }))).toEqual([
      { requestId: 'hb-new', method: 'POST', path: HEARTBEAT, status: 200 },
      { requestId: 'hb-again', method: 'POST', path: HEARTBEAT, status: 200 },
      { requestId: 'hb-third', method: 'POST', path: HEARTBEAT, status: 200 },
      { requestId: 'hb-bad-key', method: 'POST', path: HEARTBEAT, status: 401 },
      { requestId: 'hb-bad-body', method: 'POST', path: HEARTBEAT, status: 400 },
    ]);
    for (const line of lines) expect(line.durationMs).toBeGreaterThanOrEqual(0);
    expect(await answered('2xx')).toBe(3);
    expect(await answered('4xx')).toBe(2);
    // Only answered heartbeats are timed.
    expect(await heartbeatsObserved()).toBe(3);
  });

  it('counts a client that left before its answer as 499, once', async () => {
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    // Half the body it announces, then gone.
    socket.write(`POST ${HEARTBEAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nX-Request-Id: hb-gone\r\n\r\n{"agentId":`);
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    await vi.waitFor(() => expect(lines.map((line) => line.requestId)).toContain('hb-gone'));

    // A whole request after it: any second count of the first would have come by now.
    expect((await beat(key, '{"agentId":"sensor-1"}', 'hb-after')).status).toBe(200);
    expect(lines.filter((line) => line.requestId === 'hb-gone')).toEqual([expect.objectContaining({ status: 499, path: HEARTBEAT })]);
    expect(await answered('4xx')).toBe(1);
    expect(await answered('2xx')).toBe(1);
    expect(await heartbeatsObserved()).toBe(1);
  });
});
