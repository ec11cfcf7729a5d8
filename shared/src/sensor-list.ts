import type { SensorStatus } from './read-api.js';

/**
 * The one order and search of the sensor list, used by the server (cursor paging) and the
 * dashboard alike: offline sensors first (they need attention), online and scanning together,
 * then by label (name, else host, else id; case-insensitive), then by id.
 */
export interface SensorListFields {
  id: string;
  name: string;
  hostname: string;
  status: SensorStatus;
}

const STATUS_RANK: Record<SensorStatus, number> = { offline: 0, online: 1, scanning: 1 };

/** A sensor's place in the list; plain data, so it can travel in a page cursor. */
export type SensorSortKey = readonly [rank: number, label: string, id: string];

export function sensorSortKey(sensor: SensorListFields): SensorSortKey {
  return [STATUS_RANK[sensor.status], (sensor.name || sensor.hostname || sensor.id).toLowerCase(), sensor.id];
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function compareSensorKeys(a: SensorSortKey, b: SensorSortKey): number {
  return a[0] - b[0] || compareText(a[1], b[1]) || compareText(a[2], b[2]);
}

export function compareSensors(a: SensorListFields, b: SensorListFields): number {
  return compareSensorKeys(sensorSortKey(a), sensorSortKey(b));
}

/** Whether a change of status, name or host can move a sensor in the list. */
export function sensorMovesInList(before: SensorListFields, after: SensorListFields): boolean {
  return STATUS_RANK[before.status] !== STATUS_RANK[after.status] || before.name !== after.name || before.hostname !== after.hostname;
}

/** What a search looks in: name, host and id, lower-cased. */
export function sensorSearchText(sensor: Pick<SensorListFields, 'id' | 'name' | 'hostname'>): string {
  return `${sensor.name}\n${sensor.hostname}\n${sensor.id}`.toLowerCase();
}

/** The search as typed, ready to match: trimmed and lower-cased; undefined when empty. */
export function normalizeSearch(search: string | undefined): string | undefined {
  return search?.trim().toLowerCase() || undefined;
}

/** A case-insensitive substring of the name, the host or the id. */
export function matchesSensor(sensor: Pick<SensorListFields, 'id' | 'name' | 'hostname'>, search: string | undefined): boolean {
  const needle = normalizeSearch(search);
  return needle === undefined || sensorSearchText(sensor).includes(needle);
}
