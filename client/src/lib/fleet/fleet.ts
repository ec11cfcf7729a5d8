import { sensorMovesInList, type SensorRow, type SensorStatus } from '@harborguard/shared';

/** What a Sensors page shows: a filter, and where the page starts (after `cursor`, or just before `before`). */
export interface SensorQuery {
  status?: SensorStatus | undefined;
  registryId?: string | undefined;
  search?: string | undefined;
  cursor?: string | undefined;
  before?: string | undefined;
  /** The page's number, for display only (1 when absent). */
  page?: number | undefined;
}

const STATUSES: readonly string[] = ['online', 'scanning', 'offline'];

/** The query a Sensors page link names, e.g. /sensors?status=offline&registry=<id>&q=edge&after=<cursor>&page=3. */
export function queryFromUrl(params: URLSearchParams): SensorQuery {
  const status = params.get('status');
  const page = Number(params.get('page'));
  return {
    status: status !== null && STATUSES.includes(status) ? (status as SensorStatus) : undefined,
    registryId: params.get('registry') || undefined,
    search: params.get('q')?.trim() || undefined,
    cursor: params.get('after') || undefined,
    before: params.get('before') || undefined,
    page: Number.isInteger(page) && page > 1 ? page : undefined,
  };
}

/** The link of a Sensors page query (the inverse of `queryFromUrl`). */
export function urlOfQuery(query: SensorQuery): string {
  const params = new URLSearchParams();
  if (query.status) params.set('status', query.status);
  if (query.registryId) params.set('registry', query.registryId);
  if (query.search?.trim()) params.set('q', query.search.trim());
  if (query.cursor) params.set('after', query.cursor);
  else if (query.before) params.set('before', query.before);
  if (query.page && query.page > 1) params.set('page', String(query.page));
  const text = params.toString();
  return text ? `/sensors?${text}` : '/sensors';
}

/** The page's rows with the live versions of those that changed, in the same places. */
export function withChanges(rows: readonly SensorRow[], changed: readonly SensorRow[]): SensorRow[] {
  if (changed.length === 0) return rows.slice();
  const byId = new Map(changed.map((row) => [row.id, row]));
  return rows.map((row) => byId.get(row.id) ?? row);
}

/**
 * Whether rows as they are now (`current`) make a fetched page out of date: a row is gone,
 * moved in the list, or changed status (a status filter may no longer hold).
 */
export function pageOutdated(fetched: readonly SensorRow[], current: readonly SensorRow[]): boolean {
  const now = new Map(current.map((row) => [row.id, row]));
  return fetched.some((row) => {
    const later = now.get(row.id);
    return later === undefined || later.status !== row.status || sensorMovesInList(row, later);
  });
}

/** A registry binding needs attention: it was lost, or the registry is in ERROR. */
export function registryWarning(sensor: Pick<SensorRow, 'registry' | 'registryBindingLost'>): string | null {
  if (sensor.registryBindingLost) return 'Registry binding lost: the registry was deleted. Rebind this sensor to give it jobs again.';
  if (sensor.registry?.status === 'ERROR') return `Registry in ERROR${sensor.registry.reason ? `: ${sensor.registry.reason}` : ''}`;
  return null;
}
