import { z } from 'zod';
import type { FleetSummary, SensorRow } from './read-api.js';
import { matchesSensor, type SensorListFields } from './sensor-list.js';

/**
 * One page of the sensor list as a dashboard shows it, kept live: the page names the sensors
 * it shows and the filter it was fetched with; the server sends changes to those rows, the
 * org's counts, and a signal when the page itself may no longer be the page the filter gives.
 */
export const LiveViewInput = z.object({
  /** The sensors on screen, in list order (at most one page). */
  sensorIds: z.array(z.string().min(1).max(128)).max(500),
  status: z.enum(['online', 'scanning', 'offline']).optional(),
  registryId: z.string().min(1).max(128).optional(),
  search: z.string().trim().max(200).optional(),
  /** More rows come before the first one shown (the page is not the first). */
  hasPrevious: z.boolean().default(false),
  /** More rows come after the last one shown (the page is not the last). */
  hasNext: z.boolean().default(false),
  /** tRPC fills this in when a client reconnects. */
  lastEventId: z.string().max(100).nullish(),
});
export type LiveViewInput = z.input<typeof LiveViewInput>;
export type LiveViewQuery = z.output<typeof LiveViewInput>;

/** One message of a live page view. */
export interface LiveViewChange {
  /** Rows on screen that changed; every row on screen in the first message. */
  sensors: SensorRow[];
  /** The org's counts by status. */
  summary: FleetSummary;
  /** The page's rows or their order may have changed (a sensor came, went or moved): fetch it again. */
  stale: boolean;
}

/** The filter of a sensor list page. */
export interface SensorListFilter {
  status?: SensorListFields['status'] | undefined;
  registryId?: string | undefined;
  search?: string | undefined;
}

/** Whether a sensor belongs to a filtered list: status, bound registry and search all agree. */
export function matchesSensorFilter(sensor: SensorListFields & { registryId: string | null }, filter: SensorListFilter): boolean {
  if (filter.status !== undefined && sensor.status !== filter.status) return false;
  if (filter.registryId !== undefined && sensor.registryId !== filter.registryId) return false;
  return matchesSensor(sensor, filter.search);
}

/** A page of `sensors.list`: its rows, how many rows match in all, and cursors either way. */
export interface SensorListPage {
  items: SensorRow[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  next: string | null;
  /** Pass back as `before` for the previous page; null on the first page. */
  prev: string | null;
  total: number;
}
