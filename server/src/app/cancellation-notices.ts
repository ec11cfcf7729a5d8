/** How many polls carry a cancellation before the sensor is assumed to have seen it. */
const CANCEL_DELIVERIES = 3;

/**
 * Jobs cancelled while a sensor ran them, to send in its `cancelJobs` until it reports on them
 * or has been told a few times. Kept in memory: after a restart the job has failed anyway.
 */
export class CancellationNotices {
  private readonly bySensor = new Map<string, Map<string, number>>();

  notify(sensorId: string, jobId: string): void {
    const pending = this.bySensor.get(sensorId) ?? new Map<string, number>();
    this.bySensor.set(sensorId, pending.set(jobId, 0));
  }

  forget(sensorId: string, jobId: string): void {
    this.bySensor.get(sensorId)?.delete(jobId);
  }

  /** Ids to tell the sensor now. */
  take(sensorId: string): string[] {
    const pending = this.bySensor.get(sensorId);
    if (!pending) return [];
    const ids = [...pending.keys()];
    for (const [jobId, told] of pending) {
      if (told + 1 >= CANCEL_DELIVERIES) pending.delete(jobId);
      else pending.set(jobId, told + 1);
    }
    if (pending.size === 0) this.bySensor.delete(sensorId);
    return ids;
  }
}
