import { BindRegistryInput, IdInput, SensorGetInput, SensorListInput } from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

export const sensorsRouter = router({
  /** Offline first, then by name; filter by status, registry or a search of name and host. */
  list: auditorProcedure.input(SensorListInput).query(({ ctx, input }) => ctx.app.queries.listSensors(ctx.user.orgId, input)),
  /** The row, its job history (paged) and its audit trail (newest first, paged). */
  get: auditorProcedure.input(SensorGetInput).query(({ ctx, input }) => ctx.app.queries.sensorDetail(ctx.user.orgId, input)),
  bindRegistry: operatorProcedure.input(BindRegistryInput).mutation(async ({ ctx, input }) => {
    await ctx.app.sensors.bindRegistry(ctx.user, input.sensorId, input.registryId);
    await ctx.app.readModelsCurrent();
    return ctx.app.queries.sensorRow(ctx.app.queries.ownSensor(ctx.user.orgId, input.sensorId));
  }),
  delete: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.sensors.delete(ctx.user, input.id)),
});
