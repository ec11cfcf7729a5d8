import type { LogLevel } from '../config/config.js';
import { destination, pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  level: LogLevel;
  /** Where JSON lines go; standard output when omitted. */
  destination?: DestinationStream;
  /** Readable, coloured lines instead of JSON; by default only when writing to a terminal. */
  pretty?: boolean;
  /** Values that must never appear in a line (the configured admin and metrics tokens). */
  secrets?: readonly (string | undefined)[];
}

/** One answered request, as the access log records it. The path never includes the query. */
export interface RequestLine {
  requestId: string;
  method: string;
  path: string;
  /** The status sent; 499 when the client left before the answer was complete. */
  status: number;
  durationMs: number;
}

const REDACTED = '[redacted]';
/**
 * Credentials as they appear in text: bearer values, API keys and user tokens by their
 * prefixes, the session cookie. Only the key's prefix survives, which names it without
 * granting anything.
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/(bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`],
  [/\b(hg_(?:ak|tk)_)[0-9a-f]+/gi, `$1${REDACTED}`],
  [/(hg_session=)[^\s;"',]+/gi, `$1${REDACTED}`],
];
/** Structured fields that hold credentials, wherever a caller puts them. */
const REDACT_PATHS = ['authorization', 'cookie', 'token', 'apiKey', 'key', 'password', '*.authorization', '*.cookie', '*.token', '*.apiKey', '*.key', '*.headers.authorization', '*.headers.cookie', '*.headers["set-cookie"]'];

/** Removes every credential the service knows the shape or value of from a piece of text. */
export function scrubber(secrets: readonly (string | undefined)[] = []): (text: string) => string {
  const known = secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
  return (text) => {
    let clean = text;
    for (const secret of known) clean = clean.split(secret).join(REDACTED);
    for (const [pattern, replacement] of SECRET_PATTERNS) clean = clean.replace(pattern, replacement);
    return clean;
  };
}

function scrubValue(value: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) return { type: value.name, message: scrub(value.message), stack: scrub(value.stack ?? '') };
  if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, scrubValue(inner, scrub, depth - 1)]));
}

/**
 * The service's logger: one JSON object per line (time, level name, message, fields), or
 * readable lines when standard output is a terminal. Every message and field passes the
 * scrubber first, so a credential a component quotes by mistake is still not written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrub = scrubber(options.secrets);
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const settings = {
    level: options.level,
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(this, args.map((arg) => scrubValue(arg, scrub, 3)));
      },
    },
  };
  if (pretty) return pino({ ...settings, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard', ignore: 'pid' } } });
  return pino(settings, options.destination ?? destination({ dest: 1, sync: true }));
}

type LineLevel = 'error' | 'warn' | 'info';

/** A line's level from what it says: the service's components describe failures and retries in words. */
export function levelOfLine(line: string): LineLevel {
  if (/\bfailed\b|\bcould not\b|\bgiving up\b/i.test(line)) return 'error';
  if (/unavailable|unreachable|not reachable|dropped|retrying|refus|out of bounds|ahead of the event log/i.test(line)) return 'warn';
  return 'info';
}

/** The `(line) => void` the service's components take, writing through the logger at the line's level. */
export function lineLog(logger: Logger): (line: string) => void {
  return (line) => logger[levelOfLine(line)](line);
}

/**
 * The access log: one line per answered request with its id. Failures (5xx) are errors and
 * refusals (4xx) information; successful requests — a fleet's heartbeats — only at debug.
 */
export function requestLogger(logger: Logger): (line: RequestLine) => void {
  return (line) => {
    const level = line.status >= 500 ? 'error' : line.status >= 400 ? 'info' : 'debug';
    if (logger.isLevelEnabled(level)) logger[level](line, `${line.method} ${line.path} ${line.status} in ${line.durationMs} ms`);
  };
}
