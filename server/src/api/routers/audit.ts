import { AvailabilityInput, SensorHistoryInput, StateAtInput } from '@harborguard/shared';
import { auditorProcedure } from '../trpc.js';

/** The auditors' questions about the past; part of the `audit` router. Every answer is the caller's org only. */
export const auditHistoryProcedures = {
  /** The org's sensors, registries and jobs as they stood at a moment, replayed from the log. */
  stateAt: auditorProcedure.input(StateAtInput).query(({ ctx, input }) => ctx.app.audit.stateAt(ctx.user.orgId, input.at, input.sensors)),
  /** One sensor's status intervals in a window, with their causes, and its availability there. */
  sensorHistory: auditorProcedure.input(SensorHistoryInput).query(({ ctx, input }) => ctx.app.audit.sensorHistory(ctx.user.orgId, input)),
  /** Availability in a window for every sensor of the org, or of one registry. */
  availability: auditorProcedure.input(AvailabilityInput).query(({ ctx, input }) => ctx.app.audit.availability(ctx.user.orgId, input)),
  /** Whether the log's hash chain is intact, and where it first breaks when not. */
  verify: auditorProcedure.query(({ ctx }) => ctx.app.audit.verify(ctx.user.orgId)),
};
