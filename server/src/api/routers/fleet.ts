import { tracked } from '@trpc/server';
import { AuditEventsInput, LiveFleetInput, LiveViewInput } from '@harborguard/shared';
import { asTrpcError, auditorProcedure, router } from '../trpc.js';
import { auditHistoryProcedures } from './audit.js';

export const fleetRouter = router({
  /** Sensors per status, for the fleet header. */
  summary: auditorProcedure.query(({ ctx }) => {
    const memoryLimit = ctx.app.heapWatch.reason();
    return { ...ctx.app.queries.summary(ctx.user.orgId), ...(memoryLimit === null ? {} : { memoryLimit }) };
  }),
});

export const auditRouter = router({
  /** The org's event log in store order, paged by position; secrets are never included. */
  events: auditorProcedure.input(AuditEventsInput).query(({ ctx, input }) => ctx.app.queries.auditEvents(ctx.user.orgId, input)),
  ...auditHistoryProcedures,
});

export const liveRouter = router({
  /**
   * Every change to a sensor row of the caller's org. Reconnecting clients pass the id of the
   * last message (tRPC does so as `lastEventId`) and get what they missed, then live.
   */
  fleet: auditorProcedure.input(LiveFleetInput).subscription(async function* ({ ctx, input, signal }) {
    const { app } = ctx;
    for await (const entry of app.liveFeed.subscribe(ctx.user.orgId, input.lastEventId, signal ?? new AbortController().signal, stillAllowed(ctx))) {
      yield tracked(entry.id, entry.change);
    }
  }),
  /**
   * One page of the sensor list, live: the client names the sensors it shows (and the filter it
   * fetched them with) and gets their changes, the org's counts, and `stale` when the page
   * itself may have changed. A new page is a new subscription.
   */
  view: auditorProcedure.input(LiveViewInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const entry of ctx.app.liveViews.subscribe(ctx.user.orgId, input, signal ?? new AbortController().signal, stillAllowed(ctx))) {
      yield tracked(entry.id, entry.change);
    }
  }),
});

/** A token revoked while a subscription runs ends it at the next message, as unauthorised. */
function stillAllowed(ctx: { app: { access: { authenticateUser(authorization: string | undefined): unknown } }; authorization: string | undefined }): () => void {
  return () => {
    try {
      ctx.app.access.authenticateUser(ctx.authorization);
    } catch (error) {
      throw asTrpcError(error);
    }
  };
}
