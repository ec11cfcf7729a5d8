import type { AvailabilitySummary, StatusInterval } from '@harborguard/shared';
import { formatSpan } from './time';

/** One stretch of a strip: where it starts and how wide it is, in percent of the window. */
export interface Segment {
  status: StatusInterval['status'];
  left: number;
  width: number;
  title: string;
}

/** Intervals laid out along a window; time without an interval (before the sensor existed) stays empty. */
export function segmentsOf(intervals: readonly StatusInterval[], from: number, until: number): Segment[] {
  const span = until - from;
  if (span <= 0) return [];
  return intervals.map((interval) => {
    const start = Math.max(from, Date.parse(interval.from));
    const end = Math.min(until, Date.parse(interval.until));
    return {
      status: interval.status,
      left: ((start - from) / span) * 100,
      width: (Math.max(0, end - start) / span) * 100,
      title: `${interval.status} for ${formatSpan(end - start)} from ${new Date(start).toLocaleString()} (${interval.cause.type})`,
    };
  });
}

/** "99.52 %", or "—" when the sensor did not exist in the window. */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? '—' : `${(Math.floor(ratio * 10_000) / 100).toFixed(2)} %`;
}

/** "2 outages · longest 5 min · recovers in 3 min on average", or "no outage". */
export function describeAvailability(availability: AvailabilitySummary): string {
  if (availability.outages === 0) return 'no outage';
  const parts = [`${availability.outages} ${availability.outages === 1 ? 'outage' : 'outages'}`, `longest ${formatSpan(availability.longestOutageMs)}`];
  if (availability.mttrMs !== null) parts.push(`back in ${formatSpan(availability.mttrMs)} on average`);
  return parts.join(' · ');
}

/** A `datetime-local` value (the browser's zone) for a moment, to the second. */
export function toLocalInput(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
