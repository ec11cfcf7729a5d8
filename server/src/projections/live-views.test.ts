import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveViewChange, LiveViewInput } from '@harborguard/shared';
import { LiveViewInput as LiveViewSchema } from '@harborguard/shared';
import type { EventStore } from '@harborguard/eventstore';
import type { ModelEvent } from '../domain/model-event.js';
import { LiveViews } from './live-views.js';
import { at, event, registered } from './projection-test-kit.js';
import { ReadModels } from './read-models.js';
import { ReadQueries } from './read-queries.js';

/** A page view fed events by hand, its timers driven by fake time. */
describe('live page views', () => {
  let model: ReadModels;
  let views: LiveViews;
  const contacts = new Map<string, number>();
  const aborts: AbortController[] = [];

  beforeEach(() => {
    vi.useFakeTimers();
    model = new ReadModels();
    contacts.clear();
    const queries = new ReadQueries(model, {} as EventStore, (id) => (contacts.has(id) ? { lastContactAt: contacts.get(id)! } : undefined), () => Date.now());
    views = new LiveViews(model, queries, { contactFlushMs: 5_000, summaryFlushMs: 1_000 });
    for (const [id, name] of [['s1', 'alpha'], ['s2', 'bravo'], ['s3', 'charlie']] as const) apply(registered(id, name));
  });

  afterEach(() => {
    for (const abort of aborts.splice(0)) abort.abort();
    views.close();
    vi.useRealTimers();
  });

  function apply(e: ModelEvent): void {
    views.onRowChanges(model.apply(e), e);
  }

  /** Opens a view; `next()` is the next message, `received` what has arrived so far. */
  function open(input: LiveViewInput, orgId = 'org-a') {
    const abort = new AbortController();
    aborts.push(abort);
    const stream = views.subscribe(orgId, LiveViewSchema.parse(input), abort.signal, () => {});
    const received: LiveViewChange[] = [];
    let waiting: Promise<unknown> | null = null;
    const pull = () => (waiting ??= stream.next().then((result) => (waiting = null, result.done || received.push(result.value.change))));
    return {
      received,
      /** Asks for the next message and lets fake time and promises run `ms` forward. */
      async settle(ms = 0) {
        void pull();
        await vi.advanceTimersByTimeAsync(ms);
      },
    };
  }

  it('sends every row shown first, then a status change of a shown row at once', async () => {
    const view = open({ sensorIds: ['s1', 's2'], hasNext: true });
    await view.settle();
    expect(view.received[0]!.sensors.map((row) => row.id)).toEqual(['s1', 's2']);
    expect(view.received[0]).toMatchObject({ stale: false, summary: { total: 3, online: 3 } });

    apply(event('SensorWentOffline', { sensorId: 's2', lastHeartbeatAt: at(0), at: at(2), thresholdMs: 120_000 }, 2));
    await view.settle();
    expect(view.received).toHaveLength(2);
    // It moved to the top of the list: the page is out of date too.
    expect(view.received[1]).toMatchObject({ sensors: [{ id: 's2', status: 'offline' }], stale: true, summary: { offline: 1 } });
  });

  it('sends nothing for a row not shown whose change does not touch the page, only the counts a second later', async () => {
    const view = open({ sensorIds: ['s1'], hasNext: true });
    await view.settle();
    contacts.set('s3', Date.now() + 60_000);
    apply(event('SensorDetailsChanged', { sensorId: 's3', changes: { version: '2' } }, 1));
    await view.settle(999);
    expect(view.received).toHaveLength(1);
    await view.settle(1);
    expect(view.received[1]).toEqual({ sensors: [], summary: expect.objectContaining({ total: 3 }), stale: false });
    await view.settle(10_000);
    expect(view.received.flatMap((message) => message.sensors.map((row) => row.id))).toEqual(['s1']);
  });

  it('sends a shown row whose last contact alone moved on at most every five seconds', async () => {
    const view = open({ sensorIds: ['s1', 's2'] });
    await view.settle();
    const start = Date.parse(view.received[0]!.sensors[0]!.lastHeartbeatAt);
    contacts.set('s1', start + 1_000);
    await view.settle(4_999);
    expect(view.received).toHaveLength(1);
    contacts.set('s1', start + 3_000);
    await view.settle(1);
    expect(view.received[1]!.sensors).toEqual([expect.objectContaining({ id: 's1', lastHeartbeatAt: new Date(start + 3_000).toISOString() })]);
    await view.settle(5_000);
    expect(view.received).toHaveLength(2);
  });

  it('says the page is stale when a sensor lands in its range, not when one moves elsewhere', async () => {
    // The second page (bravo, charlie) of a list that starts with alpha.
    const view = open({ sensorIds: ['s2', 's3'], hasPrevious: true });
    await view.settle();
    apply(event('SensorWentOffline', { sensorId: 's1', lastHeartbeatAt: at(0), at: at(2), thresholdMs: 120_000 }, 2));
    await view.settle(1_000);
    expect(view.received.some((message) => message.stale)).toBe(false);
    apply(registered('s4', 'bz'));
    await view.settle(1_000);
    expect(view.received.at(-1)).toMatchObject({ sensors: [], stale: true });
  });

  it('shows nothing of another org, even when asked for its sensor ids', async () => {
    apply(registered('x1', 'other', 'org-b'));
    const view = open({ sensorIds: ['s1', 's2'] }, 'org-b');
    await view.settle();
    expect(view.received[0]).toMatchObject({ sensors: [], stale: true, summary: { total: 1 } });
    apply(event('SensorWentOffline', { sensorId: 's1', lastHeartbeatAt: at(0), at: at(2), thresholdMs: 120_000 }, 2));
    contacts.set('s2', Date.now() + 10_000);
    await view.settle(10_000);
    expect(view.received).toHaveLength(1);
  });
});
