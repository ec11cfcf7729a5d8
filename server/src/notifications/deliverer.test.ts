import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { InMemoryEventStore, withCatalogValidation } from '@harborguard/eventstore';
import { EventWriter } from '../core/event-writer.js';
import { StreamStates } from '../core/stream-states.js';
import { channelStream } from '../domain/streams.js';
import { Deliverer } from './deliverer.js';
import type { ResolvedChannel } from './channels.js';
import { SecretBox } from './secret-box.js';

async function setUp() {
  const clock = new SimulatedClock();
  clock.set(Date.parse('2026-11-27T10:00:00.000Z'));
  const states = new StreamStates();
  const store = withCatalogValidation(new InMemoryEventStore());
  const writer = new EventWriter(store, states);
  const sent: string[] = [];
  const down = new Set(['dead']);
  const sender = async (channel: ResolvedChannel, outgoing: { deliveryId: string }) => {
    sent.push(`${channel.id}:${outgoing.deliveryId}`);
    if (down.has(channel.id)) throw new Error('HTTP 503');
    return 'HTTP 200';
  };
  const deliverer = new Deliverer({ store, writer, states, clock, secrets: new SecretBox('k'), publicUrl: '', retryScheduleMs: [30_000], log: () => {}, sender, breakerThreshold: 3, breakerOpenMs: 60_000 });
  const context = { orgId: 'o', actor: { kind: 'system', id: 't' } as const, at: clock.now() };
  for (const id of ['dead', 'alive']) {
    await writer.append(channelStream(id), [{ type: 'NotificationChannelCreated', data: { channelId: id, orgId: 'o', name: id, type: 'webhook', config: { url: 'http://x' } } }], context);
  }
  const queue = async (deliveryId: string, channelId: string) => {
    await deliverer.record(deliveryId, { type: 'Queue', data: { deliveryId, orgId: 'o', channelId, event: 'Sensor lost connection', message: {}, sourceEventIds: ['e'] } }, 'o');
    deliverer.schedule(deliveryId);
    await deliverer.idle();
  };
  return { clock, sent, down, deliverer, queue, states };
}

describe('deliverer', () => {
  it('opens a failing endpoint’s circuit: it is left alone for a while, the other endpoint is not', async () => {
    const { sent, queue, clock, deliverer, down } = await setUp();
    for (const id of ['d1', 'd2', 'd3']) await queue(id, 'dead');
    expect(sent).toEqual(['dead:d1', 'dead:d2', 'dead:d3']);
    // The circuit is open: a new message for the dead endpoint waits, one for another endpoint goes out.
    await queue('d4', 'dead');
    await queue('a1', 'alive');
    expect(sent.slice(3)).toEqual(['alive:a1']);
    down.clear();
    clock.increment(60_000);
    await deliverer.idle();
    // Once the circuit closes, everything waiting goes out (first retries included).
    expect(sent.slice(4).sort()).toEqual(['dead:d1', 'dead:d2', 'dead:d3', 'dead:d4']);
  });
});
