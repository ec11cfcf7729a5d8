import { CancelJobInput, IdInput, ListJobsInput, ScanNowInput } from '@harborguard/shared';
import { auditorProcedure, operatorProcedure, router } from '../trpc.js';

export const jobsRouter = router({
  /** A job for a registry in ERROR fails at once; the answer says so and why. */
  scanNow: operatorProcedure.input(ScanNowInput).mutation(async ({ ctx, input }) => {
    const job = await ctx.app.jobs.scanNow(ctx.user, input);
    return { jobId: job.id, status: job.status, reason: job.reason };
  }),
  cancel: operatorProcedure.input(CancelJobInput).mutation(async ({ ctx, input }) => {
    await ctx.app.jobs.cancel(ctx.user, input.jobId);
    await ctx.app.readModelsCurrent();
    return ctx.app.queries.job(ctx.user.orgId, input.jobId);
  }),
  get: auditorProcedure.input(IdInput).query(({ ctx, input }) => ctx.app.queries.job(ctx.user.orgId, input.id)),
  /** Newest first. */
  list: auditorProcedure.input(ListJobsInput).query(({ ctx, input }) => ctx.app.queries.jobs(ctx.user.orgId, input)),
});
