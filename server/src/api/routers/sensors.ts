import { BindRegistryInput, IdInput } from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

export const sensorsRouter = router({
  list: auditorProcedure.query(({ ctx }) => ctx.app.sensors.list(ctx.user)),
  get: auditorProcedure.input(IdInput).query(({ ctx, input }) => ctx.app.sensors.get(ctx.user, input.id)),
  bindRegistry: operatorProcedure.input(BindRegistryInput).mutation(({ ctx, input }) => ctx.app.sensors.bindRegistry(ctx.user, input.sensorId, input.registryId)),
  delete: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.sensors.delete(ctx.user, input.id)),
});
