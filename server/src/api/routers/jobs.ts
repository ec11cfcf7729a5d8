import { CancelJobInput, IdInput, ListJobsInput, ScanNowInput } from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

export const jobsRouter = router({
  scanNow: operatorProcedure.input(ScanNowInput).mutation(async ({ ctx, input }) => {
    const job = await ctx.app.jobs.scanNow(ctx.user, input);
    return { jobId: job.id, status: job.status, reason: job.reason };
  }),
  cancel: operatorProcedure.input(CancelJobInput).mutation(({ ctx, input }) => ctx.app.jobs.cancel(ctx.user, input.jobId)),
  get: auditorProcedure.input(IdInput).query(({ ctx, input }) => ctx.app.jobs.get(ctx.user, input.id)),
  list: auditorProcedure.input(ListJobsInput).query(({ ctx, input }) => ctx.app.jobs.list(ctx.user, input)),
});
