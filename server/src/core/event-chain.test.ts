import { describe, expect, it } from 'vitest';
import { InMemoryEventStore, type RecordedEvent } from '@harborguard/eventstore';
import { canonicalJson, chainHash, linkOf } from './event-chain.js';
import { verifyChain } from './chain-verify.js';
import { EventWriter } from './event-writer.js';
import { StreamStates } from './stream-states.js';

const context = (at: number) => ({ orgId: 'o1', actor: { kind: 'user' as const, id: 'u1' }, at });
const created = (registryId: string) => ({ type: 'RegistryCreated' as const, data: { registryId, orgId: 'o1', name: registryId, url: `https://${registryId}` } });
const deleted = (registryId: string) => ({ type: 'RegistryDeleted' as const, data: { registryId } });

async function everything(store: InMemoryEventStore): Promise<RecordedEvent[]> {
  return store.readAll({ maxCount: 10_000 });
}

describe('hash chain written by the event writer', () => {
  it("links each event to its stream's previous one, across concurrent appends to different streams", async () => {
    const store = new InMemoryEventStore();
    const writer = new EventWriter(store, new StreamStates());
    await Promise.all(['a', 'b', 'c'].map((id) => writer.append(`registry-${id}`, [created(id)], context(1_000))));
    await Promise.all(['a', 'b', 'c'].map((id) => writer.append(`registry-${id}`, [deleted(id)], context(2_000))));
    const events = await everything(store);
    for (const id of ['a', 'b', 'c']) {
      const [first, second] = events.filter((event) => event.streamName === `registry-${id}`);
      expect(linkOf(first!.metadata)!.prev).toBeNull();
      expect(linkOf(second!.metadata)!.prev).toBe(linkOf(first!.metadata)!.hash);
    }
    expect(await verifyChain(store)).toMatchObject({ intact: true, checkedUpTo: events.at(-1)!.position.toString() });
  });

  it('continues a stream written by an earlier process from its stored head', async () => {
    const store = new InMemoryEventStore();
    await new EventWriter(store, new StreamStates()).append('registry-a', [created('a')], context(1_000));
    const states = new StreamStates();
    for (const event of await everything(store)) states.apply({ ...event, metadata: event.metadata as { occurredAt: string } });
    await new EventWriter(store, states).append('registry-a', [deleted('a')], context(2_000));
    expect(await verifyChain(store)).toMatchObject({ intact: true });
  });

  it('hashes content, not the order of keys in stored JSON', async () => {
    const event = { streamName: 's', revision: 3n, id: 'e1', type: 'T', data: { a: 1, b: [1, 'x'] }, metadata: { orgId: 'o', occurredAt: 't' } };
    const reordered = { ...event, data: { b: [1, 'x'], a: 1 }, metadata: { occurredAt: 't', orgId: 'o' } };
    expect(chainHash(reordered, 'p')).toBe(chainHash(event, 'p'));
    expect(chainHash({ ...event, revision: 4n }, 'p')).not.toBe(chainHash(event, 'p'));
    expect(chainHash(event, 'q')).not.toBe(chainHash(event, 'p'));
  });

  it('writes canonical JSON as RFC 8785 does for event values: sorted keys, no spaces, undefined left out', () => {
    expect(canonicalJson({ b: [1, undefined, 'é\n'], a: { d: null, c: true, skip: undefined }, '10': 2.5e-7, z: -0 })).toBe('{"10":2.5e-7,"a":{"c":true,"d":null},"b":[1,null,"é\\n"],"z":0}');
  });
});
