import { z } from 'zod';
import { SensorListPageInput } from './read-api.js';

/** Inputs and answers of the auditors' history procedures (`audit.*`) and their HTTP downloads. */

const moment = z.iso.datetime({ offset: true });
const entityId = z.string().min(1).max(128);

/** Without `sensors`, the answer lists every sensor of the moment; with it, that page of them, as `sensors.list` pages. */
export const StateAtInput = z.object({ at: moment, sensors: SensorListPageInput.optional() });

export const SensorHistoryInput = z.object({ sensorId: entityId, from: moment, until: moment });

/** Without `limit`, the report covers every sensor; with it, the page after `cursor` (the previous page's `next`). */
export const AvailabilityInput = z.object({
  from: moment,
  until: moment,
  registryId: entityId.optional(),
  cursor: z.string().max(1000).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export interface AuditCause {
  type: string;
  position: string;
  revision: string;
  actor: { kind: string; id: string } | null;
  occurredAt: string;
}

export interface StatusInterval {
  status: 'online' | 'scanning' | 'offline';
  from: string;
  until: string;
  cause: AuditCause;
}

export interface AvailabilitySummary {
  /** Share of the time the sensor existed in the window that it was not offline; null when it did not exist in it. */
  ratio: number | null;
  outages: number;
  longestOutageMs: number;
  /** Mean length of the outages that ended inside the window; null when none did. */
  mttrMs: number | null;
}

export interface VerifyResult {
  intact: boolean;
  /** Position of the last event checked (null: empty log). */
  checkedUpTo: string | null;
  firstBreak?: { position: string; reason: string };
  /** The position the newest anchor commits to: events after it could be cut without trace. */
  anchoredUpTo?: string | null;
}

/** `GET /api/audit/export` query parameters. */
export const AuditExportQuery = z.object({
  format: z.enum(['ndjson', 'csv']).default('ndjson'),
  /** Events that happened at or after this moment. */
  from: moment.optional(),
  /** Events that happened before this moment. */
  until: moment.optional(),
  stream: z.string().min(1).max(300).optional(),
  type: z.string().min(1).max(100).optional(),
});
export type AuditExportQuery = z.output<typeof AuditExportQuery>;

/** `GET /api/audit/availability.csv` query parameters: the whole report, never a page. */
export const AvailabilityCsvQuery = AvailabilityInput.pick({ from: true, until: true, registryId: true });
