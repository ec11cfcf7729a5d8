import type { NotificationLabel } from '../domain/notification.js';

export interface SensorRef {
  id: string;
  name: string;
  host: string;
}

export interface RegistryRef {
  id: string;
  name: string;
  status: string;
}

export interface AffectedSensor {
  sensor: SensorRef;
  lastHeartbeatAt: string | null;
  registry: RegistryRef | null;
}

/**
 * One notification as every channel renders it. It is stored with the delivery when queued,
 * so every attempt of a delivery sends the same content.
 */
export interface NotificationMessage {
  event: NotificationLabel;
  severity: 'critical' | 'error' | 'info';
  title: string;
  message: string;
  /** Where in the dashboard to look. */
  path: string;
  /** When it happened (server time of the event). */
  timestamp: string;
  sensor: SensorRef | null;
  lastHeartbeatAt: string | null;
  registry: RegistryRef | null;
  /**
   * Every sensor concerned: one for a single outage, many for a storm. A storm's message is
   * stored without them (see `members`) and gets them back when sent.
   */
  sensors: AffectedSensor[];
  /** For a storm: which losses it lists, named by their place in the log. */
  members?: StormMembers;
  /** The delivery that must be finished before this one is sent (a storm's trigger before its resolve). */
  after?: string;
  /** Folds repeats of the same outage into one incident (PagerDuty's dedup_key). */
  dedupKey: string;
  action: 'trigger' | 'resolve';
}

/**
 * A storm's members as stored: the org's losses from position `from` to `to` (inclusive) of the
 * log, except `excludedEventIds` (held back, silenced, routed elsewhere or told before). The log
 * never changes, so every attempt of the delivery lists the same sensors, in the same order, with
 * the same last-heartbeat times, while the stored message stays a few hundred bytes whatever the
 * storm's size.
 */
export interface StormMembers {
  orgId: string;
  from: string;
  to: string;
  count: number;
  excludedEventIds: string[];
}

/** A sensor is named by its name, else its host, else its id. */
export function displayName(sensor: SensorRef): string {
  return sensor.name || sensor.host || sensor.id;
}

function registryLine(registry: RegistryRef | null): string {
  if (!registry) return 'Registry: none bound';
  if (registry.status === 'deleted') return `Registry: ${registry.name} (deleted)`;
  return `Registry: ${registry.name} (${registry.status})`;
}

const SEVERITY: Record<NotificationLabel, NotificationMessage['severity']> = {
  'Sensor lost connection': 'critical',
  'Registry error': 'error',
  'Sensor reconnected': 'info',
  'Registry recovered': 'info',
};

/** A message about one sensor: it lost connection or is back (its registry's change folded in). */
export function sensorMessage(event: NotificationLabel, affected: AffectedSensor, timestamp: string): NotificationMessage {
  const name = displayName(affected.sensor);
  const lost = event !== 'Sensor reconnected' && event !== 'Registry recovered';
  const title = lost ? `Sensor lost connection: ${name}` : `Sensor reconnected: ${name}`;
  const lines = [
    lost ? `Sensor ${name} (${affected.sensor.host || 'unknown host'}) stopped sending heartbeats.` : `Sensor ${name} (${affected.sensor.host || 'unknown host'}) is sending heartbeats again.`,
    `Last heartbeat: ${affected.lastHeartbeatAt ?? 'never'}`,
    registryLine(affected.registry),
  ];
  return {
    event,
    severity: SEVERITY[event],
    title,
    message: lines.join('\n'),
    path: `/sensors/${encodeURIComponent(affected.sensor.id)}`,
    timestamp,
    sensor: affected.sensor,
    lastHeartbeatAt: affected.lastHeartbeatAt,
    registry: affected.registry,
    sensors: [affected],
    dedupKey: `harborguard-sensor-${affected.sensor.id}`,
    action: lost ? 'trigger' : 'resolve',
  };
}

/** A registry's own change, when no sensor outage explains it in the same message. */
export function registryMessage(event: 'Registry error' | 'Registry recovered', registry: RegistryRef, reason: string, timestamp: string): NotificationMessage {
  const error = event === 'Registry error';
  return {
    event,
    severity: SEVERITY[event],
    title: `${event}: ${registry.name}`,
    message: `Registry ${registry.name} is ${registry.status}: ${reason}`,
    path: '/registries',
    timestamp,
    sensor: null,
    lastHeartbeatAt: null,
    registry,
    sensors: [],
    dedupKey: `harborguard-registry-${registry.id}`,
    action: error ? 'trigger' : 'resolve',
  };
}

/** How many rows a storm's text lists before "…and N more". */
const STORM_LINES = 50;

/**
 * One message for many sensors of an org that lost connection within the storm window, in its
 * stored form: the text names the first sensors, `members` says where the full list is.
 */
export function stormMessage(affected: AffectedSensor[], timestamp: string, members: StormMembers): NotificationMessage {
  const shown = affected.slice(0, STORM_LINES).map((a) => `- ${displayName(a.sensor)} (last heartbeat ${a.lastHeartbeatAt ?? 'never'})`);
  const more = affected.length > shown.length ? [`…and ${affected.length - shown.length} more`] : [];
  let lastHeartbeatAt: string | null = null;
  for (const a of affected) if (a.lastHeartbeatAt && (!lastHeartbeatAt || a.lastHeartbeatAt > lastHeartbeatAt)) lastHeartbeatAt = a.lastHeartbeatAt;
  return {
    event: 'Sensor lost connection',
    severity: 'critical',
    title: `${affected.length} sensors lost connection`,
    message: [`${affected.length} sensors stopped sending heartbeats:`, ...shown, ...more].join('\n'),
    path: '/sensors?status=offline',
    timestamp,
    sensor: null,
    lastHeartbeatAt,
    registry: null,
    sensors: [],
    members,
    dedupKey: `harborguard-storm-${members.orgId}-${timestamp}`,
    action: 'trigger',
  };
}

/**
 * Closes a storm's incident (PagerDuty) once every sensor it listed is back or deleted: the same
 * dedup key as the storm's trigger, so the receiver folds it into that incident.
 */
export function stormResolvedMessage(storm: NotificationMessage, triggerDeliveryId: string, timestamp: string): NotificationMessage {
  const { members, ...trigger } = storm;
  const count = members?.count ?? storm.sensors.length;
  return {
    ...trigger,
    event: 'Sensor reconnected',
    severity: 'info',
    title: `${count} sensors reconnected`,
    message: `Every one of the ${count} sensors that lost connection together is back or was deleted.`,
    timestamp,
    sensors: [],
    action: 'resolve',
    after: triggerDeliveryId,
  };
}
