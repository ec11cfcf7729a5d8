import type { AuditEvent } from '@harborguard/shared';
import { formatTimestamp } from './time';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Names for ids, where the dashboard knows them. */
export type NameOf = (kind: 'sensor' | 'registry' | 'user', id: string) => string | null | undefined;

const noNames: NameOf = () => null;

function actorRef(event: Pick<AuditEvent, 'metadata'>): { kind: string | null; id: string | null } {
  const actor = record(event.metadata['actor']);
  return { kind: typeof actor['kind'] === 'string' ? actor['kind'] : null, id: typeof actor['id'] === 'string' ? actor['id'] : null };
}

/** Who caused an event, from `metadata.actor`, by name where known: "sensor edge-01", "user Dana", "system". */
export function actorOf(event: Pick<AuditEvent, 'metadata'>, nameOf: NameOf = noNames): string {
  const { kind, id } = actorRef(event);
  if (!kind) return 'unknown';
  if (kind === 'system') return id && id !== 'system' ? `system (${id})` : 'system';
  if ((kind === 'sensor' || kind === 'user') && id) return `${kind} ${nameOf(kind, id) ?? id}`;
  return id ? `${kind} ${id}` : kind;
}

/** The id of an event's cause (shown on hover next to its name), or undefined when there is none. */
export function actorIdOf(event: Pick<AuditEvent, 'metadata'>): string | undefined {
  const { kind, id } = actorRef(event);
  return kind && kind !== 'system' && id ? `${kind} id ${id}` : undefined;
}

/** Colour family of an event on a timeline. */
export function eventTone(type: string): 'good' | 'bad' | 'busy' | 'neutral' {
  if (/WentOffline|Failed|Revoked|Deleted|Unbound/.test(type)) return 'bad';
  if (/StatusChanged/.test(type)) return 'bad';
  if (/CameOnline|Completed|Created|Registered|BoundToRegistry|Delivered/.test(type)) return 'good';
  if (/Scanning|Assigned|Scheduled/.test(type)) return 'busy';
  return 'neutral';
}

/** Fields holding the id of a person or sensor: shown by name where known (the id stays in the JSON). */
const NAMED: Record<string, { kind: 'sensor' | 'user'; label: string }> = {
  sensorId: { kind: 'sensor', label: 'sensor' },
  tokenId: { kind: 'user', label: 'user' },
};

function valueText(key: string, value: unknown, nameOf: NameOf): string {
  const named = NAMED[key];
  if (named && typeof value === 'string') return nameOf(named.kind, value) ?? value;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One line saying what happened, from the event's data. */
export function describeEvent(event: Pick<AuditEvent, 'type' | 'data'>, nameOf: NameOf = noNames): string {
  const data = record(event.data);
  const text = (key: string) => (typeof data[key] === 'string' ? (data[key] as string) : null);
  const registry = (key: string) => {
    const id = text(key);
    return id ? `“${nameOf('registry', id) ?? id}”` : 'unknown';
  };
  switch (event.type) {
    case 'SensorRegistered':
      return `Registered as ${text('name') || text('hostname') || 'a sensor'}${text('version') ? ` (version ${text('version')})` : ''}${data['autoCreated'] ? ', created by its first heartbeat' : ''}.`;
    case 'SensorCameOnline':
      return text('from') === 'offline' ? 'Came back online after being offline.' : 'Came online for the first time.';
    case 'SensorWentOffline':
      return `Went offline: no heartbeat since ${formatTimestamp(text('lastHeartbeatAt'))} (threshold ${typeof data['thresholdMs'] === 'number' ? Math.round((data['thresholdMs'] as number) / 1000) : '?'} s).`;
    case 'SensorStartedScanning':
      return `Started job ${text('jobId') ?? ''}.`;
    case 'SensorFinishedScanning':
      return `Finished job ${text('jobId') ?? ''}: ${text('outcome') ?? 'done'}.`;
    case 'SensorBoundToRegistry':
      return text('previousRegistryId') ? `Rebound from registry ${registry('previousRegistryId')} to ${registry('registryId')}.` : `Bound to registry ${registry('registryId')}.`;
    case 'SensorApiKeyChanged':
      return 'Registered again with another API key of the org; acts under that key from now on.';
    case 'SensorClockSkewObserved':
      return `Clock skew of ${typeof data['skewMs'] === 'number' ? Math.round((data['skewMs'] as number) / 1000) : '?'} s observed.`;
    case 'SensorDetailsChanged':
      return `Details changed: ${Object.keys(record(data['changes'])).join(', ') || 'none'}.`;
    case 'SensorDeleted':
      return 'Deleted.';
    case 'RegistryStatusChanged':
      return `Registry ${text('from')} → ${text('to')}: ${text('reason') ?? ''}`;
    default: {
      const keys = Object.keys(data).filter((key) => !/Hash$/.test(key));
      return keys.length ? keys.map((key) => `${NAMED[key]?.label ?? key}: ${valueText(key, data[key], nameOf)}`).join(', ') : '';
    }
  }
}
