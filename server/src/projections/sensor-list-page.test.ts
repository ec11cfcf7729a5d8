import { describe, expect, it } from 'vitest';
import { compareSensors } from '@harborguard/shared';
import type { Sensor } from './records.js';
import { firstAfter, listPage, type ListScope } from './sensor-list-page.js';

const STATUSES = ['online', 'scanning', 'offline'] as const;

/** 97 sensors with names that repeat (ties broken by id), in list order. */
function scopeOf(matches: (sensor: Sensor) => boolean): ListScope {
  const sensors = Array.from({ length: 97 }, (_, i) => ({ id: `id-${String(i).padStart(3, '0')}`, name: `s-${(i * 37) % 41}`, hostname: '', status: STATUSES[i % 3]! }) as Sensor).sort(compareSensors);
  const byId = new Map(sensors.map((sensor) => [sensor.id, sensor]));
  return { ids: sensors.map((sensor) => sensor.id), lo: 0, hi: sensors.length, sensor: (id) => byId.get(id)!, matches };
}

const names = (rows: Sensor[]) => rows.map((row) => row.id);

describe('sensor list pages', () => {
  for (const [label, matches] of [
    ['no filter', () => true],
    ['scanning only', (sensor: Sensor) => sensor.status === 'scanning'],
    ['a sparse search', (sensor: Sensor) => sensor.name.endsWith('7')],
  ] as const) {
    it(`visits every matching row once forwards, and the same pages backwards (${label})`, () => {
      const scope = scopeOf(matches);
      const expected = scope.ids.filter((id) => matches(scope.sensor(id)));
      for (const limit of [1, 5, 10, 200]) {
        const forwards: string[][] = [];
        let page = listPage(scope, {}, limit);
        expect(page.prev).toBeNull();
        for (;;) {
          forwards.push(names(page.rows));
          if (page.next === null) break;
          page = listPage(scope, { after: page.next }, limit);
        }
        expect(forwards.flat()).toEqual(expected);
        const backwards: string[][] = [names(page.rows)];
        while (page.prev !== null) {
          page = listPage(scope, { before: page.prev }, limit);
          backwards.unshift(names(page.rows));
        }
        expect(backwards).toEqual(forwards);
      }
    });
  }

  it('offers the last page as previous when a cursor points past the end', () => {
    const scope = scopeOf(() => true);
    const lastKey = [9, 'zzz', 'zzz'] as const;
    const past = listPage(scope, { after: lastKey }, 10);
    expect(past.rows).toEqual([]);
    expect(names(listPage(scope, { before: past.prev! }, 10).rows)).toEqual(scope.ids.slice(-10));
    expect(firstAfter(scope, lastKey)).toBe(scope.ids.length);
  });
});
