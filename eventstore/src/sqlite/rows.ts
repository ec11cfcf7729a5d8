import { randomUUID } from 'node:crypto';
import { toJson } from '../event-json.js';
import { InvalidPosition } from '../errors.js';
import type { EventMetadata, EventToAppend, RawRecordedEvent, RecordedEvent } from '../port.js';

/** Columns in the order every read selects them (rows are fetched raw, as arrays). */
export type Row = [position: number, stream: string, revision: number, id: string, type: string, data: string, metadata: string, recordedAt: number];
export const COLUMNS = 'position, stream, revision, id, type, data, metadata, recorded_at';

export interface PreparedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

export function prepareEvent(event: EventToAppend): PreparedEvent {
  return {
    id: event.id ?? randomUUID(),
    type: event.type,
    data: toJson(event.type, 'data', event.data ?? null),
    metadata: toJson(event.type, 'metadata', event.metadata ?? {}),
  };
}

export function toRecordedEvent(row: Row): RecordedEvent {
  return {
    id: row[3],
    streamName: row[1],
    revision: BigInt(row[2]),
    position: BigInt(row[0]),
    type: row[4],
    data: JSON.parse(row[5]) as unknown,
    metadata: JSON.parse(row[6]) as EventMetadata,
    recordedAt: new Date(row[7]),
  };
}

/** A row as stored, payloads left as their JSON text. */
export function toRawEvent(row: Row): RawRecordedEvent {
  return { id: row[3], streamName: row[1], revision: BigInt(row[2]), position: BigInt(row[0]), type: row[4], data: row[5], metadata: row[6], recordedAt: row[7] };
}

/**
 * A position as the file's rowids count: 1, 2, 3 … with no gaps, so any whole number from 0 up is
 * a place in the log (past the head, nothing yet). Beyond what SQLite's integers and JavaScript's
 * numbers both hold exactly, no event can start.
 */
export function rowPosition(position: bigint): number {
  if (position < 0n || position > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidPosition(position);
  return Number(position);
}
