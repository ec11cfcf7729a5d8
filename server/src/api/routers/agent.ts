import { HeartbeatInput, PollJobsInput, RegisterInput, ReportJobInput, UploadResultsInput } from '@harborguard/shared';
import { router, sensorProcedure } from '../trpc.js';
import { agentJob } from '../agent-job.js';

/** The sensor API over tRPC. Each answer says who the sensor is, how it is seen and when to call next. */
export const agentRouter = router({
  register: sensorProcedure.input(RegisterInput).mutation(async ({ ctx, input }) => {
    const ack = await ctx.app.sensors.register(ctx.sensor, input);
    const { heartbeatIntervalMs, pollIntervalMs } = ctx.app.options;
    return { ...ack, heartbeatIntervalMs, pollIntervalMs };
  }),

  heartbeat: sensorProcedure.input(HeartbeatInput).mutation(async ({ ctx, input }) => {
    const sensorTime = input.sensorTime === undefined ? undefined : Date.parse(input.sensorTime);
    const ack = await ctx.app.sensors.heartbeat(ctx.sensor, input.sensorId, sensorTime);
    return { ...ack, nextHeartbeatInMs: ctx.app.options.heartbeatIntervalMs };
  }),

  pollJobs: sensorProcedure.input(PollJobsInput).mutation(async ({ ctx, input }) => {
    const { jobs, cancelJobs, ...ack } = await ctx.app.sensors.poll(ctx.sensor, input.sensorId);
    return { ...ack, jobs: jobs.map(agentJob), cancelJobs, nextPollInMs: ctx.app.options.pollIntervalMs };
  }),

  reportJob: sensorProcedure.input(ReportJobInput).mutation(async ({ ctx, input }) => {
    const job = await ctx.app.sensors.report(ctx.sensor, input);
    // Straight after a job ends, the sensor may poll for the next one.
    return { ...ctx.app.sensors.ackFor(ctx.sensor, input.sensorId), job: { id: job.id, status: job.status, reason: job.reason }, nextPollInMs: 0 };
  }),

  /** The summary of a finished scan (findings stay with the sensor). */
  uploadResults: sensorProcedure.input(UploadResultsInput).mutation(async ({ ctx, input }) => {
    await ctx.app.sensors.upload(ctx.sensor, input);
    return ctx.app.sensors.ackFor(ctx.sensor, input.sensorId);
  }),
});
