import { compareSensors, matchesSensor, normalizeSearch, sensorMovesInList, type FleetChange, type FleetSummary, type SensorRow, type SensorStatus } from '@harborguard/shared';

/**
 * The dashboard orders and searches sensors with the server's own `compareSensors` and
 * `matchesSensor` (from the shared workspace), so a live view and a page of `sensors.list`
 * agree row for row.
 */

export interface SensorFilter {
  status?: SensorStatus | undefined;
  registryId?: string | undefined;
  /** Case-insensitive substring of the name, the host or the id. */
  search?: string | undefined;
}

export function matchesFilter(sensor: SensorRow, filter: SensorFilter): boolean {
  if (filter.status && sensor.status !== filter.status) return false;
  if (filter.registryId && sensor.registry?.id !== filter.registryId) return false;
  return matchesSensor(sensor, filter.search);
}

/** The rows to show: filtered, in list order. */
export function visibleSensors(sensors: Iterable<SensorRow>, filter: SensorFilter): SensorRow[] {
  return filterSensors([...sensors].sort(compareSensors), filter);
}

/** Filters rows that are already in list order, keeping that order. */
export function filterSensors(sorted: readonly SensorRow[], filter: SensorFilter): SensorRow[] {
  if (!filter.status && !filter.registryId && normalizeSearch(filter.search) === undefined) return sorted.slice();
  return sorted.filter((sensor) => matchesFilter(sensor, filter));
}

/**
 * Applies changes to `rows` (in place) and returns the fleet in list order. Most live changes
 * are heartbeats that move nothing: then the order is kept and only the changed rows are
 * swapped in (linear), instead of sorting the whole fleet again.
 */
export function mergeChanges(rows: Map<string, SensorRow>, sorted: readonly SensorRow[], changes: readonly FleetChange[]): SensorRow[] {
  let reorder = sorted.length !== rows.size;
  for (const change of changes) {
    if (reorder) break;
    if (change.kind !== 'sensor') reorder = true;
    else {
      const before = rows.get(change.sensor.id);
      if (!before || sensorMovesInList(before, change.sensor)) reorder = true;
    }
  }
  applyChanges(rows, changes);
  if (reorder) return [...rows.values()].sort(compareSensors);
  return sorted.map((sensor) => rows.get(sensor.id) ?? sensor);
}

export function summarize(sensors: Iterable<SensorRow>): FleetSummary {
  const summary: FleetSummary = { total: 0, online: 0, scanning: 0, offline: 0, sharedHosts: 0 };
  // Connected sensors per host: a host with more than one is shared.
  const onHost = new Map<string, number>();
  for (const sensor of sensors) {
    summary.total += 1;
    summary[sensor.status] += 1;
    if (sensor.status !== 'offline' && sensor.hostname !== '') onHost.set(sensor.hostname, (onHost.get(sensor.hostname) ?? 0) + 1);
  }
  for (const count of onHost.values()) if (count > 1) summary.sharedHosts += 1;
  return summary;
}

/**
 * Applies one live change to the fleet, in place: a sensor row replaces its previous version
 * (or joins), a removal drops it, a reset replaces every row. Returns the fleet summary the
 * server sent with the change.
 */
export function applyChange(rows: Map<string, SensorRow>, change: FleetChange): FleetSummary {
  switch (change.kind) {
    case 'sensor':
      rows.set(change.sensor.id, change.sensor);
      break;
    case 'removed':
      rows.delete(change.sensorId);
      break;
    case 'reset':
      rows.clear();
      for (const sensor of change.sensors) rows.set(sensor.id, sensor);
      break;
  }
  return change.summary;
}

/** Applies a batch of changes in order; the last summary wins (null for an empty batch). */
export function applyChanges(rows: Map<string, SensorRow>, changes: readonly FleetChange[]): FleetSummary | null {
  let summary: FleetSummary | null = null;
  for (const change of changes) summary = applyChange(rows, change);
  return summary;
}

/** A registry binding needs attention: it was lost, or the registry is in ERROR. */
export function registryWarning(sensor: Pick<SensorRow, 'registry' | 'registryBindingLost'>): string | null {
  if (sensor.registryBindingLost) return 'Registry binding lost: the registry was deleted. Rebind this sensor to give it jobs again.';
  if (sensor.registry?.status === 'ERROR') return `Registry in ERROR${sensor.registry.reason ? `: ${sensor.registry.reason}` : ''}`;
  return null;
}
