import { describe, expect, it } from 'vitest';
import { InvalidEvent } from '../errors.js';
import { isSystemEvent, matchesFilter, toEventData, toRecordedEvent } from './convert.js';

describe('event conversion', () => {
  it('sends JSON events with the given or a generated id and {} metadata by default', () => {
    const withId = toEventData({ id: '5f0c4c5e-8a43-4f38-9d51-0d4a6c1f2b3a', type: 'T', data: { a: 1 } });
    expect(withId).toMatchObject({ id: '5f0c4c5e-8a43-4f38-9d51-0d4a6c1f2b3a', type: 'T', contentType: 'application/json', data: { a: 1 }, metadata: {} });
    expect(toEventData({ type: 'T', data: null }).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects data that JSON cannot carry before anything is sent', () => {
    expect(() => toEventData({ type: 'T', data: { n: 1n } })).toThrow(InvalidEvent);
    expect(() => toEventData({ type: 'T', data: () => 1 })).toThrow(InvalidEvent);
  });

  it('maps a recorded event, with the commit position as the position', () => {
    const created = new Date('2026-01-02T03:04:05.000Z');
    const recorded = toRecordedEvent({
      event: {
        streamId: 'sensor-1',
        id: 'id-1',
        revision: 3n,
        type: 'T',
        data: { a: 1 },
        metadata: undefined,
        isJson: true,
        created,
        position: { commit: 77n, prepare: 77n },
      },
    } as never);
    expect(recorded).toEqual({ id: 'id-1', streamName: 'sensor-1', revision: 3n, position: 77n, type: 'T', data: { a: 1 }, metadata: {}, recordedAt: created });
  });

  it('recognises the server’s own events', () => {
    expect(isSystemEvent('$settings', '$settings')).toBe(true);
    expect(isSystemEvent('$$sensor-1', '$metadata')).toBe(true);
    expect(isSystemEvent('sensor-1', 'SensorSeen')).toBe(false);
  });

  it('applies stream-prefix and event-type filters together', () => {
    const filter = { streamPrefixes: ['sensor-'], eventTypes: ['A'] };
    expect(matchesFilter(filter, { streamName: 'sensor-1', type: 'A' })).toBe(true);
    expect(matchesFilter(filter, { streamName: 'sensor-1', type: 'AB' })).toBe(false);
    expect(matchesFilter(filter, { streamName: 'x-sensor-1', type: 'A' })).toBe(false);
    expect(matchesFilter(undefined, { streamName: 'anything', type: 'Any' })).toBe(true);
    expect(matchesFilter({ streamPrefixes: [] }, { streamName: 'anything', type: 'Any' })).toBe(true);
  });
});
