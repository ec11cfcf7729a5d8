import type { FleetChange, FleetSummary, SensorRow, SensorStatus } from '@harborguard/shared';

/** Offline first (they need attention), then online and scanning alike; then by name, host and id. */
const STATUS_RANK: Record<SensorStatus, number> = { offline: 0, online: 1, scanning: 1 };

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

export function compareSensors(a: SensorRow, b: SensorRow): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    collator.compare(a.name, b.name) ||
    collator.compare(a.hostname, b.hostname) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export interface SensorFilter {
  status?: SensorStatus | undefined;
  registryId?: string | undefined;
  /** Case-insensitive substring of the name or the host. */
  search?: string | undefined;
}

export function matchesFilter(sensor: SensorRow, filter: SensorFilter): boolean {
  if (filter.status && sensor.status !== filter.status) return false;
  if (filter.registryId && sensor.registry?.id !== filter.registryId) return false;
  const needle = filter.search?.trim().toLowerCase();
  if (needle && !sensor.name.toLowerCase().includes(needle) && !sensor.hostname.toLowerCase().includes(needle)) return false;
  return true;
}

/** The rows to show: filtered, offline first, then by name. */
export function visibleSensors(sensors: Iterable<SensorRow>, filter: SensorFilter): SensorRow[] {
  return filterSensors([...sensors].sort(compareSensors), filter);
}

/** Filters rows that are already in display order, keeping that order. */
export function filterSensors(sorted: readonly SensorRow[], filter: SensorFilter): SensorRow[] {
  if (!filter.status && !filter.registryId && !filter.search?.trim()) return sorted.slice();
  return sorted.filter((sensor) => matchesFilter(sensor, filter));
}

/** Whether a new version of a row may sit elsewhere in the display order. */
function movesInOrder(before: SensorRow, after: SensorRow): boolean {
  return STATUS_RANK[before.status] !== STATUS_RANK[after.status] || before.name !== after.name || before.hostname !== after.hostname;
}

/**
 * Applies changes to `rows` (in place) and returns the fleet in display order. Most live
 * changes are heartbeats that move nothing: then the order is kept and only the changed rows
 * are swapped in (linear), instead of sorting the whole fleet again.
 */
export function mergeChanges(rows: Map<string, SensorRow>, sorted: readonly SensorRow[], changes: readonly FleetChange[]): SensorRow[] {
  let reorder = sorted.length !== rows.size;
  for (const change of changes) {
    if (reorder) break;
    if (change.kind !== 'sensor') reorder = true;
    else {
      const before = rows.get(change.sensor.id);
      if (!before || movesInOrder(before, change.sensor)) reorder = true;
    }
  }
  applyChanges(rows, changes);
  if (reorder) return [...rows.values()].sort(compareSensors);
  return sorted.map((sensor) => rows.get(sensor.id) ?? sensor);
}

export function summarize(sensors: Iterable<SensorRow>): FleetSummary {
  const summary: FleetSummary = { total: 0, online: 0, scanning: 0, offline: 0 };
  for (const sensor of sensors) {
    summary.total += 1;
    summary[sensor.status] += 1;
  }
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
