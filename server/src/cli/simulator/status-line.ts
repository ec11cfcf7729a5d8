import type { StateCounts } from './fleet.js';
import type { StatsSnapshot } from './stats.js';

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function errors(httpErrors: Record<number, number>): string {
  const parts = Object.entries(httpErrors).map(([status, n]) => `${status}×${n}`);
  return parts.length > 0 ? parts.join(' ') : 'none';
}

/** One compact line, printed every few seconds. */
export function formatStatus(elapsedMs: number, total: number, s: StatsSnapshot, states: StateCounts): string {
  const fields = [
    `reg ${s.registered}/${total}`,
    `hb ${s.heartbeatsOk} ok/${s.heartbeatsFailed} fail`,
    `polls ${s.polls}`,
    `jobs ${s.jobsDone} done/${s.jobsFailed} fail/${s.jobsCancelled} cxl`,
    `dead ${states.dead} flap ${states.flapping} hung ${states.hung}`,
    `401 ${s.unauthorized}`,
    `http ${errors(s.httpErrors)}`,
    s.networkErrors > 0 ? `net ${s.networkErrors}` : '',
  ];
  return `[${clock(elapsedMs)}] ${fields.filter(Boolean).join(' | ')}`;
}

/** The summary printed on exit. */
export function formatTotals(elapsedMs: number, total: number, s: StatsSnapshot, states: StateCounts): string {
  return [
    `Simulated ${total} sensors for ${clock(elapsedMs)} (mm:ss)`,
    `  registered      ${s.registered} (${s.registerAttempts} attempts, ${s.registerGaveUp} gave up)`,
    `  heartbeats      ${s.heartbeatsOk} ok, ${s.heartbeatsFailed} failed`,
    `  polls           ${s.polls} (${s.pollsFailed} failed)`,
    `  jobs            ${s.jobsStarted} started, ${s.jobsDone} done, ${s.jobsFailed} failed, ${s.jobsCancelled} cancelled, ${s.jobsSkipped} skipped`,
    `  uploads         ${s.uploadsOk} ok, ${s.uploadsFailed} failed; ${s.statusReportsFailed} status reports failed`,
    `  requests        ${s.requests} sent, ${s.requestsSuppressed} suppressed while flapping`,
    `  sensors         dead ${states.dead}, flapping ${states.flapping}, hung ${states.hung}, gave up ${states['gave-up']}`,
    `  errors          401 ${s.unauthorized}, HTTP ${errors(s.httpErrors)}, network ${s.networkErrors}`,
  ].join('\n');
}
