import { tracked } from '@trpc/server';
import { AuditEventsInput, LiveFleetInput } from '@harborguard/shared';
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
    const { app, authorization } = ctx;
    // A token revoked while the subscription runs ends it at the next message, as unauthorised.
    const stillAllowed = () => {
      try {
        app.access.authenticateUser(authorization);
      } catch (error) {
        throw asTrpcError(error);
      }
    };
    for await (const entry of app.liveFeed.subscribe(ctx.user.orgId, input.lastEventId, signal ?? new AbortController().signal, stillAllowed)) {
      yield tracked(entry.id, entry.change);
    }
  }),
});
