/** Counters shared by every sensor of a fleet; plain numbers so snapshots are cheap. */
export class SimStats {
  registered = 0;
  registerAttempts = 0;
  /** Sensors that exhausted their registration attempts and exited. */
  registerGaveUp = 0;
  heartbeatsOk = 0;
  heartbeatsFailed = 0;
  polls = 0;
  pollsFailed = 0;
  jobsStarted = 0;
  jobsDone = 0;
  jobsFailed = 0;
  jobsCancelled = 0;
  jobsSkipped = 0;
  uploadsOk = 0;
  uploadsFailed = 0;
  statusReportsFailed = 0;
  requests = 0;
  /** Requests a flapping sensor would have sent but did not. */
  requestsSuppressed = 0;
  /** 401 answers, also included in `httpErrors`. */
  unauthorized = 0;
  networkErrors = 0;
  readonly httpErrors = new Map<number, number>();

  recordHttpError(status: number): void {
    this.httpErrors.set(status, (this.httpErrors.get(status) ?? 0) + 1);
    if (status === 401) this.unauthorized++;
  }

  snapshot(): StatsSnapshot {
    const { httpErrors, ...counters } = this;
    return { ...counters, httpErrors: Object.fromEntries([...httpErrors].sort(([a], [b]) => a - b)) };
  }
}

/** Every numeric counter, plus HTTP error counts keyed by status. */
export type StatsSnapshot = { [K in keyof SimStats as SimStats[K] extends number ? K : never]: number } & {
  httpErrors: Record<number, number>;
};
