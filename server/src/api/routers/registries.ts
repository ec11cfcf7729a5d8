import { CreateRegistryInput, IdInput, SetScheduleInput } from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

export const registriesRouter = router({
  create: operatorProcedure.input(CreateRegistryInput).mutation(({ ctx, input }) => ctx.app.registries.create(ctx.user, input)),
  list: auditorProcedure.query(({ ctx }) => ctx.app.queries.registries(ctx.user.orgId)),
  get: auditorProcedure.input(IdInput).query(({ ctx, input }) => ctx.app.queries.registry(ctx.user.orgId, input.id)),
  setSchedule: operatorProcedure.input(SetScheduleInput).mutation(async ({ ctx, input }) => {
    await ctx.app.registries.setSchedule(ctx.user, input.id, input.scheduleIntervalMs);
    await ctx.app.readModelsCurrent();
    return ctx.app.queries.registry(ctx.user.orgId, input.id);
  }),
  delete: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.registries.delete(ctx.user, input.id)),
});
