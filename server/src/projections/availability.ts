import type { SensorStatus } from '@harborguard/shared';

/** What put a sensor in a status: the event, where it sits in the log, and who caused it. */
export interface Cause {
  type: string;
  position: string;
  revision: string;
  actor: { kind: string; id: string } | null;
  occurredAt: string;
}

/** A sensor's status from a moment on; `null` while it does not exist (before registering, once deleted). */
export interface Transition {
  at: number;
  status: SensorStatus | null;
  cause: Cause;
}

export interface Interval {
  status: SensorStatus;
  from: string;
  until: string;
  cause: Cause;
}

export interface Availability {
  /** Share of the time the sensor existed inside the window that it was not offline; null when it never existed in it. */
  ratio: number | null;
  /** Offline intervals overlapping the window (one already running at the window's start counts). */
  outages: number;
  /** The longest of them, counted inside the window only. */
  longestOutageMs: number;
  /** Mean length (inside the window) of the outages that ended inside it; null when none ended. */
  mttrMs: number | null;
}

/**
 * The intervals of a status history clipped to [from, until): a transition before `from` sets
 * the status the window opens with, one at or after `until` is outside it. Consecutive
 * transitions to the same status merge into one interval (its cause: the first of them).
 */
export function intervalsIn(transitions: readonly Transition[], from: number, until: number): Interval[] {
  const intervals: Interval[] = [];
  let current: { status: SensorStatus | null; since: number; cause: Cause } | null = null;
  const close = (end: number) => {
    if (current?.status && end > current.since) intervals.push({ status: current.status, from: iso(current.since), until: iso(end), cause: current.cause });
  };
  for (const transition of transitions) {
    if (transition.at >= until) break;
    if (current !== null && current.status === transition.status) continue;
    const since = Math.max(transition.at, from);
    if (current !== null) close(since);
    current = { status: transition.status, since, cause: transition.cause };
  }
  if (current !== null) close(until);
  return intervals;
}

/** Availability arithmetic over intervals `intervalsIn` returned for the window ending at `until`. */
export function availabilityOf(intervals: readonly Interval[], until: number): Availability {
  let observed = 0;
  let down = 0;
  let outages = 0;
  let longest = 0;
  let recoveredCount = 0;
  let recoveredTotal = 0;
  for (let i = 0; i < intervals.length; i++) {
    const interval = intervals[i]!;
    const length = Date.parse(interval.until) - Date.parse(interval.from);
    observed += length;
    if (interval.status !== 'offline') continue;
    down += length;
    outages++;
    longest = Math.max(longest, length);
    // Recovered: the sensor was back (online or scanning) right where the outage ended.
    const next = intervals[i + 1];
    if (Date.parse(interval.until) < until && next !== undefined && next.from === interval.until) {
      recoveredCount++;
      recoveredTotal += length;
    }
  }
  return {
    ratio: observed === 0 ? null : (observed - down) / observed,
    outages,
    longestOutageMs: longest,
    mttrMs: recoveredCount === 0 ? null : recoveredTotal / recoveredCount,
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
