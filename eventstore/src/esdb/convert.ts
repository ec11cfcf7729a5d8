import { toJson } from '../event-json.js';
import { randomUUID } from 'node:crypto';
import { jsonEvent, type EventData, type JSONType, type ResolvedEvent } from '@eventstore/db-client';
import { EventStoreError } from '../errors.js';
import type { AllFilter, EventMetadata, EventToAppend, RecordedEvent } from '../port.js';
import { toPortPosition } from './positions.js';

/** Builds the JSON event the driver sends; checks serialisability first so a bad batch writes nothing. */
export function toEventData(event: EventToAppend): EventData {
  const data = (event.data ?? null) as JSONType;
  const metadata = (event.metadata ?? {}) as JSONType;
  toJson(event.type, 'data', data);
  toJson(event.type, 'metadata', metadata);
  return jsonEvent({ id: event.id ?? randomUUID(), type: event.type, data, metadata });
}

/** Converts a driver event into the port's shape; positions follow `positions.ts`. */
export function toRecordedEvent(resolved: ResolvedEvent): RecordedEvent {
  const event = resolved.event;
  if (!event) throw new EventStoreError('EventStoreDB returned a link to a deleted event');
  if (!event.isJson) throw new EventStoreError(`Event ${event.id} on "${event.streamId}" is not a JSON event`);
  return {
    id: event.id,
    streamName: event.streamId,
    revision: event.revision,
    position: toPortPosition(event.position, `event ${event.id} on "${event.streamId}"`),
    type: event.type,
    data: event.data,
    metadata: isRecord(event.metadata) ? (event.metadata as EventMetadata) : {},
    recordedAt: event.created,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * EventStoreDB keeps its own records in `$all` (settings, users, stream metadata, projections):
 * system streams start with `$` and system event types start with `$`. They are not product events.
 */
export function isSystemEvent(streamName: string, type: string): boolean {
  return streamName.startsWith('$') || type.startsWith('$');
}

/** The port's filter, applied to events the server returned. */
export function matchesFilter(filter: AllFilter | undefined, event: { streamName: string; type: string }): boolean {
  const prefixes = filter?.streamPrefixes;
  const types = filter?.eventTypes;
  if (prefixes?.length && !prefixes.some((prefix) => event.streamName.startsWith(prefix))) return false;
  if (types?.length && !types.includes(event.type)) return false;
  return true;
}
