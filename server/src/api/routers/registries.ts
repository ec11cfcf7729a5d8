import { CreateRegistryInput, IdInput, SetScheduleInput } from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

export const registriesRouter = router({
  create: operatorProcedure.input(CreateRegistryInput).mutation(({ ctx, input }) => ctx.app.registries.create(ctx.user, input)),
  list: auditorProcedure.query(({ ctx }) => ctx.app.registries.list(ctx.user)),
  get: auditorProcedure.input(IdInput).query(({ ctx, input }) => ctx.app.registries.get(ctx.user, input.id)),
  setSchedule: operatorProcedure.input(SetScheduleInput).mutation(({ ctx, input }) => ctx.app.registries.setSchedule(ctx.user, input.id, input.scheduleIntervalMs)),
  delete: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.registries.delete(ctx.user, input.id)),
});
