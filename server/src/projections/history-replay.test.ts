import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '@harborguard/eventstore';
import { HistoryReplay } from './history-replay.js';

const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const meta = (minute: number) => ({ orgId: 'o1', occurredAt: new Date(T0 + minute * 60_000).toISOString(), actor: { kind: 'user', id: 'u' } });

/** One registry created per minute, every third one deleted a minute later. */
async function registryLog(count: number): Promise<InMemoryEventStore> {
  const store = new InMemoryEventStore();
  for (let i = 0; i < count; i++) {
    await store.appendToStream(`registry-r${i}`, [{ type: 'RegistryCreated', data: { registryId: `r${i}`, orgId: 'o1', name: `r${i}`, url: `https://r${i}` }, metadata: meta(2 * i) }]);
    if (i % 3 === 0) await store.appendToStream(`registry-r${i}`, [{ type: 'RegistryDeleted', data: { registryId: `r${i}` }, metadata: meta(2 * i + 1) }]);
  }
  return store;
}

const liveRegistries = (state: Awaited<ReturnType<HistoryReplay['stateAt']>>) =>
  [...state.models.registries.registries.values()].filter((registry) => !registry.deleted).map((registry) => registry.id).sort();

describe('history replay', () => {
  it('stops before the first event after the moment, and includes one exactly at it', async () => {
    const replay = new HistoryReplay(await registryLog(4));
    expect(liveRegistries(await replay.stateAt(T0 - 1))).toEqual([]);
    expect(liveRegistries(await replay.stateAt(T0))).toEqual(['r0']);
    expect(liveRegistries(await replay.stateAt(T0 + 60_000))).toEqual([]);
    expect(liveRegistries(await replay.stateAt(T0 + 6 * 60_000))).toEqual(['r1', 'r2', 'r3']);
  });

  it('thins its snapshots out when they hold too many records, and still answers as a full replay does', async () => {
    const store = await registryLog(60);
    const full = new HistoryReplay(store, { useSnapshots: false });
    const thinned = new HistoryReplay(store, { snapshotEvery: 5, maxSnapshotReferences: 200 });
    await thinned.stateAt(T0 + 200 * 60_000);
    expect(thinned.snapshotCount).toBeGreaterThan(1);
    expect(thinned.snapshotCount).toBeLessThan(16);
    for (const minute of [3, 17, 18, 59, 90, 119, 500]) {
      const at = T0 + minute * 60_000;
      const [expected, actual] = [await full.stateAt(at), await thinned.stateAt(at)];
      expect(liveRegistries(actual), `at minute ${minute}`).toEqual(liveRegistries(expected));
      expect(actual.position).toBe(expected.position);
    }
  });

  it('keeps snapshots as they were taken while later replays change nested values (capabilities, scan results)', async () => {
    const store = new InMemoryEventStore();
    let minute = 0;
    const append = (stream: string, type: string, data: unknown) => store.appendToStream(stream, [{ type, data, metadata: meta(minute++) }]);
    const details = { name: 's', hostname: 'h', version: '1', os: 'linux', arch: 'amd64', capabilities: ['scan'], scannerVersions: { trivy: '1' } };
    await append('sensor-s', 'SensorRegistered', { sensorId: 's', orgId: 'o1', apiKeyId: 'k', autoCreated: false, ...details });
    await append('registry-r', 'RegistryCreated', { registryId: 'r', orgId: 'o1', name: 'r', url: 'https://r' });
    await append('job-j', 'JobScheduled', { jobId: 'j', orgId: 'o1', registryId: 'r', type: 'scan', imageRef: 'app:1', source: 'manual' });
    await append('job-j', 'JobAssigned', { jobId: 'j', sensorId: 's' });
    for (let round = 0; round < 4; round++) {
      await append('sensor-s', 'SensorDetailsChanged', { sensorId: 's', changes: { capabilities: ['scan', `c${round}`], scannerVersions: { trivy: String(round) } } });
      await append('job-j', 'JobResultsUploaded', { jobId: 'j', scanStatus: 'ok', vulnerabilityCounts: { high: round }, riskScore: round });
    }
    const full = new HistoryReplay(store, { useSnapshots: false });
    const snapshotted = new HistoryReplay(store, { snapshotEvery: 1 });
    const rows = (state: Awaited<ReturnType<HistoryReplay['stateAt']>>) => ({ sensor: state.models.sensors.sensors.get('s'), job: state.models.jobs.jobs.get('j') });
    // One replay through the whole log takes every snapshot, changing the records after each; later
    // replays start from those snapshots and change the records again.
    const moments = Array.from({ length: minute }, (_, i) => T0 + i * 60_000);
    await snapshotted.stateAt(moments.at(-1)!);
    for (const at of [...moments, ...moments.reverse()]) {
      expect(rows(await snapshotted.stateAt(at)), `at minute ${(at - T0) / 60_000}`).toEqual(rows(await full.stateAt(at)));
    }
    expect(snapshotted.snapshotCount).toBe(minute);
  });
});
