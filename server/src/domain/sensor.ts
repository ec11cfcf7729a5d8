import type { EventData, SensorStatus } from '@harborguard/shared';
import type { Decider, EventsOf, Evolving } from './decider.js';
import { AppError } from './errors.js';
import { CLOCK_SKEW_TOLERANCE_MS } from './sensor-machine.js';

/** What a sensor says about itself when it registers. */
export interface SensorDetails {
  name: string;
  hostname: string;
  version: string;
  os: string;
  arch: string;
  capabilities: string[];
  scannerVersions: Record<string, string>;
}

export interface Sensor extends SensorDetails {
  id: string;
  orgId: string;
  apiKeyId: string;
  /** Status as of the last stored transition; the live one is the sensor actor's. */
  status: SensorStatus;
  /** Last contact carried by stored events. */
  lastContactAt: string;
  registryId: string | null;
  currentJobId: string | null;
  clockSkewMs: number | null;
  registeredAt: string;
  /** The id the sensor itself uses, when it is another org's sensor's id; null otherwise. */
  agentId: string | null;
  /** A deleted sensor is kept: one that calls again comes back with the details it had. */
  deleted: boolean;
}

export type SensorState = Sensor | null;

export type SensorEvent = EventsOf<
  | 'SensorRegistered'
  | 'SensorDetailsChanged'
  | 'SensorCameOnline'
  | 'SensorStartedScanning'
  | 'SensorFinishedScanning'
  | 'SensorWentOffline'
  | 'SensorBoundToRegistry'
  | 'SensorClockSkewObserved'
  | 'SensorDeleted'
  | 'SensorApiKeyChanged'
>;

export type SensorCommand =
  /** A registration, or (`autoCreated`) a request from an id with no live sensor: the row is (re)created. */
  | { type: 'Register'; sensorId: string; orgId: string; apiKeyId: string; details: SensorDetails; autoCreated: false }
  | { type: 'Register'; sensorId: string; orgId: string; apiKeyId: string; autoCreated: true; agentId?: string | undefined }
  | { type: 'Bind'; sensorId: string; orgId: string; registryId: string }
  | { type: 'Delete'; sensorId: string; orgId: string };

const DETAIL_FIELDS = ['name', 'hostname', 'version', 'os', 'arch', 'capabilities', 'scannerVersions'] as const;
const NO_DETAILS: SensorDetails = { name: '', hostname: '', version: '', os: '', arch: '', capabilities: [], scannerVersions: {} };

/** The live sensor of an org, or "not found" (another org's sensor is simply not there). */
export function ownSensor(state: SensorState, orgId: string, sensorId: string): Sensor {
  if (!state || state.orgId !== orgId || state.deleted) throw new AppError('not_found', `Sensor ${sensorId} not found`);
  return state;
}

/** A sensor whose registry was deleted keeps heartbeating but gets no jobs until it is bound again. */
export function bindingLost(sensor: Pick<Sensor, 'registryId'>, registry: { deleted: boolean } | null): boolean {
  return sensor.registryId !== null && (registry === null || registry.deleted);
}

/**
 * A sensor acts only under the API key it registered with (a rotation keeps the key's id):
 * another key of the org must register the sensor before it can speak for it.
 */
export function checkSensorKey(sensor: Sensor, apiKeyId: string): void {
  if (sensor.apiKeyId !== apiKeyId) throw new AppError('forbidden', `Sensor ${sensor.id} is registered with another API key; register it with this key first`);
}

function detailChanges(sensor: SensorDetails, input: SensorDetails): EventData<'SensorDetailsChanged'>['changes'] | null {
  const changes: Record<string, unknown> = {};
  for (const field of DETAIL_FIELDS) {
    if (JSON.stringify(sensor[field]) !== JSON.stringify(input[field])) changes[field] = input[field];
  }
  return Object.keys(changes).length ? (changes as EventData<'SensorDetailsChanged'>['changes']) : null;
}

function register(command: Extract<SensorCommand, { type: 'Register' }>, state: SensorState): SensorEvent[] {
  const { sensorId, orgId, apiKeyId } = command;
  if (state && state.orgId !== orgId) throw new AppError('not_found', `Sensor ${sensorId} not found`);
  if (state && !state.deleted) {
    if (command.autoCreated) return [];
    // Registering again is idempotent: only what changed about the sensor is recorded. Within an
    // org, a sensor restarted with another key is the same sensor: it moves to that key.
    const events: SensorEvent[] = [];
    if (state.apiKeyId !== apiKeyId) events.push({ type: 'SensorApiKeyChanged', data: { sensorId, apiKeyId, previousApiKeyId: state.apiKeyId } });
    const changes = detailChanges(state, command.details);
    if (changes) events.push({ type: 'SensorDetailsChanged', data: { sensorId, changes } });
    return events;
  }
  // A deleted sensor that calls again comes back with the details it had.
  const details = command.autoCreated ? pickDetails(state ?? NO_DETAILS) : command.details;
  const agentId = command.autoCreated ? (command.agentId ?? state?.agentId ?? undefined) : undefined;
  return [{ type: 'SensorRegistered', data: { sensorId, orgId, apiKeyId, autoCreated: command.autoCreated, ...(agentId ? { agentId } : {}), ...copyDetails(details) } }];
}

function pickDetails(source: SensorDetails): SensorDetails {
  const { name, hostname, version, os, arch, capabilities, scannerVersions } = source;
  return { name, hostname, version, os, arch, capabilities, scannerVersions };
}

function copyDetails(details: SensorDetails): SensorDetails {
  return { ...pickDetails(details), capabilities: [...details.capabilities], scannerVersions: { ...details.scannerVersions } };
}

export function decideSensor(command: SensorCommand, state: SensorState): SensorEvent[] {
  switch (command.type) {
    case 'Register':
      return register(command, state);
    case 'Bind': {
      const sensor = ownSensor(state, command.orgId, command.sensorId);
      if (sensor.registryId === command.registryId) return [];
      const previous = sensor.registryId ? { previousRegistryId: sensor.registryId } : {};
      return [{ type: 'SensorBoundToRegistry', data: { sensorId: sensor.id, registryId: command.registryId, ...previous } }];
    }
    case 'Delete': {
      const sensor = ownSensor(state, command.orgId, command.sensorId);
      return [{ type: 'SensorDeleted', data: { sensorId: sensor.id } }];
    }
  }
}

/** The sensor after one of its stored events. Transitions come from the sensor machine. */
export function evolveSensor(state: SensorState, event: Evolving<SensorEvent>): SensorState {
  if (event.type === 'SensorRegistered') {
    const d = event.data;
    const at = event.metadata.occurredAt;
    // Every field named in one literal: the object holds them all itself, which at a fleet's
    // scale is smaller than one grown past its literal by a spread.
    return {
      id: d.sensorId,
      orgId: d.orgId,
      apiKeyId: d.apiKeyId,
      name: d.name,
      hostname: d.hostname,
      version: d.version,
      os: d.os,
      arch: d.arch,
      capabilities: [...d.capabilities],
      scannerVersions: { ...d.scannerVersions },
      status: 'online',
      lastContactAt: at,
      registryId: null,
      currentJobId: null,
      clockSkewMs: null,
      registeredAt: at,
      agentId: d.agentId ?? null,
      deleted: false,
    };
  }
  if (state === null || state.deleted) return state;
  switch (event.type) {
    case 'SensorDetailsChanged':
      return { ...state, ...event.data.changes };
    case 'SensorCameOnline':
      return { ...state, status: 'online', lastContactAt: event.data.at };
    case 'SensorStartedScanning':
      return { ...state, status: 'scanning', currentJobId: event.data.jobId, lastContactAt: event.data.at };
    case 'SensorFinishedScanning':
      return { ...state, status: 'online', currentJobId: null, lastContactAt: event.data.at };
    case 'SensorWentOffline':
      return { ...state, status: 'offline', currentJobId: null, lastContactAt: event.data.lastHeartbeatAt };
    case 'SensorBoundToRegistry':
      return { ...state, registryId: event.data.registryId };
    case 'SensorClockSkewObserved':
      return { ...state, clockSkewMs: Math.abs(event.data.skewMs) > CLOCK_SKEW_TOLERANCE_MS ? event.data.skewMs : null };
    case 'SensorDeleted':
      return { ...state, deleted: true, currentJobId: null };
    case 'SensorApiKeyChanged':
      return { ...state, apiKeyId: event.data.apiKeyId };
  }
}

export const sensorDecider: Decider<SensorState, SensorCommand, SensorEvent> = {
  initialState: () => null,
  evolve: evolveSensor,
  decide: decideSensor,
};
