import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodType } from 'zod';
import { AuditExportQuery, AvailabilityCsvQuery, type AuditEvent } from '@harborguard/shared';
import type { Context } from '../api/context.js';
import { countingFailures } from '../api/auth-limiter.js';
import { answerRefusal } from '../api/http-answers.js';
import { describeZodError } from '../api/trpc.js';
import type { ApiServices } from '../api/services.js';
import { hasRole, type UserPrincipal } from '../app/principal.js';
import { AppError } from '../domain/errors.js';

export const AUDIT_EXPORT_PATH = '/api/audit/export';
export const AVAILABILITY_CSV_PATH = '/api/audit/availability.csv';

const EXPORT_COLUMNS = ['position', 'stream', 'revision', 'type', 'recordedAt', 'data', 'metadata'] as const;
const AVAILABILITY_COLUMNS = ['sensorId', 'name', 'host', 'ratio', 'outages', 'longestOutageMs', 'mttrMs'] as const;

/**
 * `GET /api/audit/export`: the caller's org's events (secrets removed, as `audit.events` shows
 * them) as NDJSON or CSV, written page by page and waiting for the client to take each page
 * before reading the next, so memory stays flat whatever the log's size.
 */
export async function handleAuditExport(ctx: Context, req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const answered = await prepare(ctx, req, res, target, AuditExportQuery);
  if (!answered) return;
  const { app, user, query } = answered;
  const { format, ...filter } = query;
  const csv = format === 'csv';
  res.writeHead(200, {
    'Content-Type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'Content-Disposition': `attachment; filename="audit-export.${csv ? 'csv' : 'ndjson'}"`,
    'Cache-Control': 'no-store',
  });
  if (csv) res.write(csvLine(EXPORT_COLUMNS));
  for await (const page of app.audit.exportEvents(user.orgId, filter)) {
    if (res.destroyed) return;
    const text = csv ? page.map(exportCsvLine).join('') : page.map((event) => JSON.stringify(event) + '\n').join('');
    if (!res.write(text)) await drained(res);
  }
  res.end();
}

/** `GET /api/audit/availability.csv`: `audit.availability` as a spreadsheet. */
export async function handleAvailabilityCsv(ctx: Context, req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const answered = await prepare(ctx, req, res, target, AvailabilityCsvQuery);
  if (!answered) return;
  const { app, user, query } = answered;
  const { sensors } = await app.audit.availability(user.orgId, query);
  const lines = sensors.map((row) => csvLine(AVAILABILITY_COLUMNS.map((column) => row[column] ?? '')));
  res.writeHead(200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="availability.csv"`,
    'Cache-Control': 'no-store',
  });
  res.end(csvLine(AVAILABILITY_COLUMNS) + lines.join(''));
}

/**
 * What every audit download checks before it answers, as the tRPC audit procedures do: a GET,
 * a started service, a token of the auditor role or above, and valid parameters. Refusals are
 * answered here (null returned).
 */
async function prepare<T>(ctx: Context, req: IncomingMessage, res: ServerResponse, target: string, schema: ZodType<T>): Promise<{ app: ApiServices; user: UserPrincipal; query: T } | null> {
  try {
    if (req.method !== 'GET') throw new AppError('bad_request', `${req.method} is not supported here; use GET`);
    const app = ctx.app;
    if (!app?.ready) throw new AppError('unavailable', 'Service is starting; retry shortly');
    const user = await countingFailures(ctx.authLimiter, ctx.clientAddress, () => app.access.authenticateUser(ctx.authorization));
    if (!hasRole(user, 'auditor')) throw new AppError('forbidden', `This needs the auditor role; your token has ${user.role}`);
    const parsed = schema.safeParse(Object.fromEntries(new URL(target, 'http://localhost').searchParams));
    if (!parsed.success) throw new AppError('bad_request', describeZodError(parsed.error));
    await app.readModelsCurrent();
    return { app, user, query: parsed.data };
  } catch (error) {
    if (answerRefusal(res, error)) return null;
    throw error;
  }
}

/** Resolves when the client has taken what was written, or has gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function exportCsvLine(event: AuditEvent): string {
  return csvLine([event.position, event.stream, event.revision, event.type, event.recordedAt, JSON.stringify(event.data), JSON.stringify(event.metadata)]);
}

/** One CSV record (RFC 4180): fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvLine(fields: readonly unknown[]): string {
  return fields.map((field) => csvField(field === null || field === undefined ? '' : String(field))).join(',') + '\r\n';
}

function csvField(raw: string): string {
  // A text a spreadsheet would run as a formula is shown as text.
  const value = /^[=+\-@\t\r]/.test(raw) && !/^-?\d/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
