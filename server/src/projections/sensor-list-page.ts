import { compareSensorKeys, sensorSortKey, type SensorSortKey } from '@harborguard/shared';
import type { Sensor } from './records.js';

/**
 * The candidates of a sensor list in list order (`compareSensors`), and the part of them that
 * can match at all (`lo` to `hi`, end excluded): offline sensors come first, so a status filter
 * narrows the range before any row is looked at.
 */
export interface ListScope {
  ids: readonly string[];
  lo: number;
  hi: number;
  sensor: (id: string) => Sensor;
  matches: (sensor: Sensor) => boolean;
}

/** Where a page starts: after a row's key (or from the top), or just before a row's key. */
export type PageFrom = { after?: SensorSortKey | undefined } | { before: SensorSortKey };

export interface ListPage {
  rows: Sensor[];
  /** Key to continue after, when more rows match after the page. */
  next: SensorSortKey | null;
  /** Key to continue before, when more rows match before the page. */
  prev: SensorSortKey | null;
}

/** Index of the first candidate whose key sorts after `key`. */
export function firstAfter(scope: Pick<ListScope, 'ids' | 'sensor'>, key: SensorSortKey): number {
  let low = 0;
  let high = scope.ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareSensorKeys(sensorSortKey(scope.sensor(scope.ids[mid]!)), key) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Up to `count` matching rows walking from `from` towards `to` (excluded) by `step`. */
function collect(scope: ListScope, from: number, to: number, step: 1 | -1, count: number): Sensor[] {
  const found: Sensor[] = [];
  for (let i = from; i !== to && found.length < count; i += step) {
    const sensor = scope.sensor(scope.ids[i]!);
    if (scope.matches(sensor)) found.push(sensor);
  }
  return found;
}

const keyOf = (sensor: Sensor | undefined) => (sensor === undefined ? null : sensorSortKey(sensor));

/** One page of `limit` matching rows, in list order, with the keys to page on either way. */
export function listPage(scope: ListScope, from: PageFrom, limit: number): ListPage {
  if ('before' in from) {
    let end = Math.max(scope.lo, Math.min(firstAfter(scope, from.before), scope.hi));
    // A row with exactly the cursor's key is the one the cursor came from: not part of this page.
    while (end > scope.lo && compareSensorKeys(sensorSortKey(scope.sensor(scope.ids[end - 1]!)), from.before) >= 0) end--;
    const found = collect(scope, end - 1, scope.lo - 1, -1, limit + 1);
    const rows = found.slice(0, limit).reverse();
    const after = collect(scope, end, scope.hi, 1, 1).length > 0;
    return { rows, prev: found.length > limit ? keyOf(rows[0]) : null, next: after ? keyOf(rows.at(-1)) : null };
  }
  const start = Math.min(scope.hi, Math.max(scope.lo, from.after === undefined ? 0 : firstAfter(scope, from.after)));
  const found = collect(scope, start, scope.hi, 1, limit + 1);
  const rows = found.slice(0, limit);
  const before = from.after !== undefined && collect(scope, start - 1, scope.lo - 1, -1, 1).length > 0;
  // Past the end, "previous" is the last page: the rows before where this one would start.
  return { rows, next: found.length > limit ? keyOf(rows.at(-1)) : null, prev: before ? (keyOf(rows[0]) ?? from.after!) : null };
}
