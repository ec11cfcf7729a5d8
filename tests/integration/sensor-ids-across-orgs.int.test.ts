import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, TestServer } from '../support/test-server.js';
import { TrpcHttp, wire } from '../support/http-clients.js';

/** Sensor ids are unique across orgs, yet one org can learn nothing of another org's sensors from them. */
describe('another org’s sensor id', () => {
  let server: TestServer;
  let admin: TrpcHttp;
  let acmeAdmin: TrpcHttp;
  let ourKey: string;
  let acmeKey: string;
  let ourId: string;

  beforeEach(async () => {
    server = await TestServer.start();
    admin = new TrpcHttp(server.url, ADMIN_TOKEN);
    ourKey = (await admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'ours' })).key;
    const org = await admin.do<{ id: string }>('mutation', 'orgs.create', { name: 'acme' });
    acmeAdmin = admin.as((await admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'admin', name: 'acme', orgId: org.id })).token);
    acmeKey = (await acmeAdmin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'acme' })).key;
    ourId = (await wire<{ agentId: string }>(server.url, ourKey, 'POST', '/api/agent/register', { name: 'ours', hostname: 'node-1' })).body.agentId;
  });
  afterEach(() => server.destroy());

  const heartbeat = (key: string, agentId: string) => wire<Record<string, unknown>>(server.url, key, 'POST', '/api/agent/heartbeat', { agentId });
  const shape = (answer: { status: number; body: Record<string, unknown> }) => ({ status: answer.status, keys: Object.keys(answer.body).sort(), sensorStatus: answer.body['status'] });

  it('answers a heartbeat naming it exactly as one naming an unknown id, on the wire and over tRPC', async () => {
    const foreign = await heartbeat(acmeKey, ourId);
    const unknown = await heartbeat(acmeKey, 'never-seen-anywhere');
    expect(shape(foreign)).toEqual(shape(unknown));
    expect(foreign.body['sensorId']).toBe(ourId);

    const acmeSensor = new TrpcHttp(server.url, acmeKey);
    const trpcForeign = await acmeSensor.mutation('agent.heartbeat', { sensorId: ourId });
    const trpcUnknown = await acmeSensor.mutation('agent.heartbeat', { sensorId: 'also-never-seen' });
    expect(trpcForeign.status).toBe(200);
    expect(Object.keys(trpcForeign.body.result!.data).sort()).toEqual(Object.keys(trpcUnknown.body.result!.data).sort());
  });

  it('gives the other org a row of its own and leaves ours untouched', async () => {
    await server.advance(119_000);
    await heartbeat(acmeKey, ourId);
    await server.advance(1_000);
    // Our sensor was not kept alive by the other org's requests.
    const ours = await admin.do<{ sensor: { status: string } }>('query', 'sensors.get', { id: ourId });
    expect(ours.sensor.status).toBe('offline');
    const theirs = await acmeAdmin.do<{ items: { id: string; status: string }[] }>('query', 'sensors.list', {});
    expect(theirs.items).toHaveLength(1);
    expect(theirs.items[0]!.id).not.toBe(ourId);
    expect(theirs.items[0]!.status).toBe('online');
    expect((await acmeAdmin.query('sensors.get', { id: ourId })).status).toBe(404);
    // The other org's sensor keeps its own row across further requests, polls included.
    expect((await wire(server.url, acmeKey, 'GET', `/api/agent/jobs?agentId=${ourId}`)).status).toBe(200);
    expect((await acmeAdmin.do<{ total: number }>('query', 'sensors.list', {})).total).toBe(1);
  });

  it('never shows our sensor’s status in the answer to an upload naming it', async () => {
    const acmeSensor = new TrpcHttp(server.url, acmeKey);
    await server.advance(121_000);
    const answer = await acmeSensor.mutation('agent.uploadResults', { sensorId: ourId, jobId: 'no-such-job', scanStatus: 'SUCCESS' });
    expect(answer.status).toBe(404);
    expect(JSON.stringify(answer.body)).not.toContain('offline');
  });
});
