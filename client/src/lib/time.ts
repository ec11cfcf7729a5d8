/** Time formatting for the dashboard: compact, unit-labelled, never negative. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "12 s ago", "4 min ago", "3 h ago", "2 d ago"; "in 5 min" for times well ahead. */
export function formatRelative(iso: string | number | null | undefined, now: number): string {
  if (iso === null || iso === undefined || iso === '') return 'never';
  const at = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(at)) return 'unknown';
  const diff = now - at;
  const magnitude = Math.abs(diff);
  // The on-screen clock ticks once a second and clocks differ a little: a moment ahead is now.
  if (diff < SECOND && diff > -MINUTE) return 'just now';
  const text = formatSpan(magnitude);
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** A span in its largest sensible unit, floored: 59 999 ms → "59 s". */
export function formatSpan(ms: number): string {
  const magnitude = Math.abs(ms);
  if (magnitude < MINUTE) return `${Math.floor(magnitude / SECOND)} s`;
  if (magnitude < HOUR) return `${Math.floor(magnitude / MINUTE)} min`;
  if (magnitude < DAY) return `${Math.floor(magnitude / HOUR)} h`;
  return `${Math.floor(magnitude / DAY)} d`;
}

/** A schedule or threshold: "every 15 min", "every 2 h", "every 90 s". */
export function formatInterval(ms: number | null): string {
  if (ms === null) return 'Manual only';
  if (ms % DAY === 0) return `Every ${ms / DAY} d`;
  if (ms % HOUR === 0) return `Every ${ms / HOUR} h`;
  if (ms % MINUTE === 0) return `Every ${ms / MINUTE} min`;
  return `Every ${Math.round(ms / SECOND)} s`;
}

/** Clock skew as the sensor sees it: "+2 min 5 s ahead" / "40 s behind". */
export function formatSkew(ms: number): string {
  const magnitude = Math.abs(ms);
  const minutes = Math.floor(magnitude / MINUTE);
  const seconds = Math.floor((magnitude % MINUTE) / SECOND);
  const parts = [minutes > 0 ? `${minutes} min` : '', seconds > 0 || minutes === 0 ? `${seconds} s` : ''].filter(Boolean).join(' ');
  return `${parts} ${ms >= 0 ? 'ahead of' : 'behind'} the server`;
}

/** A full local timestamp for titles and tables: "2026-11-27 10:04:05". */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
