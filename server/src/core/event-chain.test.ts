import { describe, expect, it } from 'vitest';
import { InMemoryEventLog, InMemoryEventStore, type RecordedEvent } from '@harborguard/eventstore';
import { canonicalJson, chainEvent, chainHash, linkOf, storedLinkV2 } from './event-chain.js';
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

  it('chains to the head another writer left, once a conflict made it read the stream again', async () => {
    const store = new InMemoryEventStore();
    const first = new EventWriter(store, new StreamStates());
    const second = new EventWriter(store, new StreamStates());
    await first.append('registry-a', [created('a')], context(1_000));
    // The second writer has not seen the stream: its first try expects none and conflicts.
    await second.decideAndAppend('registry-a', () => [deleted('a')], context(2_000));
    const [creation, deletion] = await everything(store);
    expect(linkOf(deletion!.metadata)!.prev).toBe(linkOf(creation!.metadata)!.hash);
    expect(await verifyChain(store)).toMatchObject({ intact: true });
  });

  it('writes version 2 links, readable from the stored text as parsing reads them', async () => {
    const log = new InMemoryEventLog();
    const writer = new EventWriter(new InMemoryEventStore(log), new StreamStates());
    await writer.append('registry-a', [created('a'), deleted('a')], { ...context(1_000), causationId: 'c"\\u2028' });
    for (const stored of log.events) {
      const parsed = linkOf(JSON.parse(stored.metadata) as Record<string, unknown>)!;
      expect(parsed.version).toBe(2);
      expect(storedLinkV2(stored.metadata)).toMatchObject(parsed);
    }
    expect(storedLinkV2('{"x":"\\"chain\\":{\\"v\\":2,\\"prev\\":null,\\"hash\\":\\"' + 'a'.repeat(64) + '\\"}}"}')).toBeUndefined();
  });

  it('verifies logs written with version 1 links, alone and continued by version 2 links, and finds edits in both', async () => {
    const log = new InMemoryEventLog();
    const store = new InMemoryEventStore(log);
    // As the previous version of the writer chained events.
    let prev: string | null = null;
    for (const [revision, event] of [created('a'), deleted('a')].entries()) {
      const id = `e${revision}`;
      const metadata = { orgId: 'o1', occurredAt: new Date(1_000).toISOString(), actor: { kind: 'user', id: 'u1' } };
      const hash = chainHash({ streamName: 'registry-a', revision: BigInt(revision), id, type: event.type, data: event.data, metadata }, prev);
      await store.appendToStream('registry-a', [{ id, type: event.type, data: event.data, metadata: { ...metadata, chain: { prev, hash } } }]);
      prev = hash;
    }
    expect(await verifyChain(store)).toMatchObject({ intact: true, checkedUpTo: '2' });
    const states = new StreamStates();
    for (const event of await everything(store)) states.apply({ ...event, metadata: event.metadata as { occurredAt: string } });
    await new EventWriter(store, states).append('registry-a', [created('a')], context(2_000));
    const third = (await everything(store))[2]!;
    expect(linkOf(third.metadata)).toMatchObject({ version: 2, prev });
    expect(await verifyChain(store)).toMatchObject({ intact: true, checkedUpTo: '3' });

    for (const index of [1, 2]) {
      const stored = log.events[index]!;
      const original = stored.data;
      stored.data = original.replace('"a"', '"b"');
      expect(await verifyChain(store), `event ${index + 1}`).toMatchObject({ intact: false, checkedUpTo: String(index), firstBreak: { position: String(index + 1), reason: expect.stringContaining('edited') } });
      stored.data = original;
    }
  });

  it('finds a version 2 event whose stored text was changed anywhere, or made unreadable', async () => {
    const log = new InMemoryEventLog();
    const store = new InMemoryEventStore(log);
    await new EventWriter(store, new StreamStates()).append('registry-a', [created('a')], context(1_000));
    const stored = log.events[0]!;
    const original = { data: stored.data, metadata: stored.metadata };
    const edits: [keyof typeof original, string, string][] = [
      ['data', original.data.replace('{', '{ '), 'edited'],
      ['metadata', original.metadata.replace('"o1"', '"o2"'), 'edited'],
      ['metadata', original.metadata.slice(0, -1) + ',"note":1}', 'edited'],
      ['metadata', original.metadata.replace('"v":2', '"v":1'), 'edited'],
      ['data', original.data.slice(1), 'edited'],
      ['metadata', original.metadata.slice(0, 20), 'unreadable'],
    ];
    for (const [field, text, reason] of edits) {
      Object.assign(stored, original, { [field]: text });
      expect((await verifyChain(store)).firstBreak, text).toEqual({ position: '1', reason: expect.stringContaining(reason) });
    }
    Object.assign(stored, original);
    expect(await verifyChain(store)).toMatchObject({ intact: true });
  });

  it('chains exactly the text the store keeps: the hash covers what precedes it in the stored metadata', () => {
    const content = { streamName: 's', revision: 0n, id: 'e', type: 'T', data: { b: 1, a: [2] }, metadata: { orgId: 'o', '7': 'x', chain: { prev: 'old', hash: 'old' } } };
    const { metadata, hash } = chainEvent(content, null);
    const text = JSON.stringify(metadata);
    expect(text.endsWith(`,"hash":"${hash}"}}`)).toBe(true);
    expect(storedLinkV2(text)).toMatchObject({ prev: null, hash, head: text.slice(0, -76) });
  });

  it('hashes content, not the order of keys in stored JSON (version 1)', async () => {
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
