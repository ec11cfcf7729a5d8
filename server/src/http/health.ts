import type { ServerResponse } from 'node:http';
import type { HarborGuard } from '../app/harborguard.js';
import { sendJson } from '../api/json-body.js';

export type ReadinessCheck = () => Promise<{ ready: boolean; checks: Record<string, string> }>;

/** Liveness: the process answers. Always 200 while it runs, saying whether the service is ready. */
export function sendHealth(app: HarborGuard | null, res: ServerResponse): void {
  sendJson(res, 200, { status: 'ok', ready: app?.ready ?? false });
}

/** Readiness: 200 once actors are rebuilt, the store takes writes and `extra` agrees; 503 with the reasons otherwise. */
export async function sendReadiness(app: HarborGuard | null, res: ServerResponse, extra?: ReadinessCheck): Promise<void> {
  const checks: Record<string, string> = { actors: app?.ready ? `rebuilt (${app.supervisor.size} sensors)` : 'rebuilding' };
  let ready = app?.ready ?? false;
  if (app) {
    const projection = app.projector.status();
    const behind = app.writer.lastPosition !== null && (app.projector.position ?? -1n) < app.writer.lastPosition;
    checks['projections'] = `${projection.caughtUp ? 'caught up' : 'catching up'}; at position ${projection.position ?? 'start'}${behind ? `, behind ${app.writer.lastPosition}` : ''}`;
    if (projection.failed !== null) {
      ready = false;
      checks['projections'] = `stopped: ${projection.failed}`;
    }
    // Near the heap limit the service refuses new sensors but serves the ones it has: still ready.
    checks['memory'] = app.heapWatch.reason() ?? 'taking new sensors';
    // While the store is away requests needing an append answer 503; transitions decided
    // meanwhile wait in order for it (see StoreAvailability), and readiness says how many.
    const store = app.writer.availability;
    checks['store'] = store.describe();
    if (!store.available) {
      ready = false;
      checks['writes'] = `event store refusing writes; ${store.backlog} events kept until it is back`;
    }
    if (store.backlogOverLimit) {
      ready = false;
      checks['writes'] = `${store.backlog} events wait for the event store, over the limit of ${store.backlogLimit}; none is dropped`;
    }
  }
  if (extra) {
    const more = await extra();
    ready &&= more.ready;
    Object.assign(checks, more.checks);
  }
  sendJson(res, ready ? 200 : 503, { ready, checks });
}
