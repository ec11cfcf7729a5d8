import { Agent, request } from 'node:http';

/** Past this many resets a run fails: the service is gone, not briefly busy. */
const MAX_RESETS = 1_000;

/** Small JSON client over keep-alive connections, for setting up the fleet (not for the measurement). */
export class JsonClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    maxSockets = 32,
    /** A server that stops answering fails the run instead of hanging it. */
    private readonly timeoutMs = 60_000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  call(method: 'GET' | 'POST', path: string, body: unknown, authorization?: string): Promise<{ status: number; json: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        {
          method,
          agent: this.agent,
          headers: {
            ...(payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
            ...(authorization ? { Authorization: authorization } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null });
            } catch {
              reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
            }
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Connections the server reset before answering; each such call was sent once more, as a
   * sensor agent does (only the calls the benchmarks make, which are safe to repeat).
   */
  resets = 0;

  /** A call that must answer 2xx; returns the parsed body. */
  async ok(method: 'GET' | 'POST', path: string, body: unknown, authorization?: string): Promise<unknown> {
    const { status, json } = await this.call(method, path, body, authorization).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' || this.resets >= MAX_RESETS) throw error;
      this.resets++;
      return this.call(method, path, body, authorization);
    });
    if (status < 200 || status > 299) throw new Error(`${method} ${path} answered ${status}: ${JSON.stringify(json)}`);
    return json;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Polls /readyz until the service has rebuilt its actors and the store answers. */
export async function waitUntilReady(client: JsonClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await client.call('GET', '/readyz', undefined).catch(() => ({ status: 0 }));
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`service not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Number of live sensor actors, as the readiness check reports it. */
export async function liveActors(client: JsonClient): Promise<number> {
  const { json } = await client.call('GET', '/readyz', undefined);
  const actors = (json as { checks?: { actors?: string } }).checks?.actors ?? '';
  const count = /\((\d+) sensors\)/.exec(actors)?.[1];
  if (count === undefined) throw new Error(`readiness does not report the actor count: ${JSON.stringify(json)}`);
  return Number(count);
}

export interface FleetSummary {
  total: number;
  online: number;
  scanning: number;
  offline: number;
}

/**
 * Sensors per status as the operator API reports them (`fleet.summary`, from the read models fed
 * by the event log), once the read models count at least `expectedTotal` sensors.
 */
export async function fleetSummary(client: JsonClient, adminToken: string, expectedTotal: number, timeoutMs = 120_000): Promise<FleetSummary> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const json = (await client.ok('GET', '/api/trpc/fleet.summary', undefined, `Bearer ${adminToken}`)) as { result?: { data?: FleetSummary } };
    const summary = json.result?.data;
    if (!summary || typeof summary.total !== 'number') throw new Error(`fleet.summary answered ${JSON.stringify(json)}`);
    if (summary.total >= expectedTotal) return summary;
    if (Date.now() > deadline) throw new Error(`fleet.summary counts ${summary.total} sensors after ${timeoutMs} ms, expected ${expectedTotal}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Creates a sensor API key through the operator API (tRPC over HTTP, no transformer). */
export async function createApiKey(client: JsonClient, adminToken: string, name: string): Promise<string> {
  const json = (await client.ok('POST', '/api/trpc/apiKeys.create', { name }, `Bearer ${adminToken}`)) as { result?: { data?: { key?: string } } };
  const key = json.result?.data?.key;
  if (!key) throw new Error(`apiKeys.create answered without a key: ${JSON.stringify(json)}`);
  return key;
}

export function sensorRegistration(n: number): Record<string, unknown> {
  const tag = String(n).padStart(6, '0');
  return {
    name: `scanner-${tag}`,
    hostname: `node-${tag}.fleet.example`,
    version: '0.1.0',
    os: 'linux',
    arch: 'amd64',
    capabilities: ['scan'],
    scannerVersions: {},
  };
}

/**
 * Registers `count` distinct sensors through `POST /api/agent/register`, `concurrency` at a time;
 * returns their agent ids in registration order. `onProgress` is called every 1 000 sensors.
 */
export async function registerFleet(
  client: JsonClient,
  apiKey: string,
  count: number,
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<string[]> {
  const ids = new Array<string>(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      const json = (await client.ok('POST', '/api/agent/register', sensorRegistration(n), `Bearer ${apiKey}`)) as { agentId?: string };
      if (!json.agentId) throw new Error(`register answered without an agentId: ${JSON.stringify(json)}`);
      ids[n] = json.agentId;
      if (++done % 1_000 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (new Set(ids).size !== count) throw new Error('registration returned duplicate agent ids');
  return ids;
}
