import type { EventData, RegistryStatus, SensorStatus } from '@harborguard/shared';
import type { Decider, EventsOf, Evolving } from './decider.js';
import { AppError } from './errors.js';

export interface Registry {
  id: string;
  orgId: string;
  name: string;
  url: string;
  status: RegistryStatus;
  reason: string | null;
  statusSensorId: string | null;
  scheduleIntervalMs: number | null;
  createdAt: string;
  deleted: boolean;
}

export type RegistryState = Registry | null;

export type RegistryEvent = EventsOf<'RegistryCreated' | 'RegistryScheduleChanged' | 'RegistryStatusChanged' | 'RegistryDeleted'>;

/** What the registry's status depends on: its bound sensors, as their actors see them now. */
export interface BoundSensor {
  id: string;
  name: string;
  status: SensorStatus;
}

export type RegistryCommand =
  | { type: 'Create'; registryId: string; orgId: string; name: string; url: string; scheduleIntervalMs?: number | undefined }
  | { type: 'SetSchedule'; registryId: string; orgId: string; scheduleIntervalMs: number | null }
  | { type: 'Delete'; registryId: string; orgId: string }
  /** Brings the status in line with the bound sensors; `triggeredBy` names the sensor whose change caused it. */
  | { type: 'SettleStatus'; boundSensors: BoundSensor[]; triggeredBy?: string | undefined };

/** The live registry of an org, or "not found". */
export function ownRegistry(state: RegistryState, orgId: string, registryId: string): Registry {
  if (!state || state.orgId !== orgId || state.deleted) throw new AppError('not_found', `Registry ${registryId} not found`);
  return state;
}

const label = (sensor: BoundSensor) => (sensor.name ? `"${sensor.name}" (${sensor.id})` : sensor.id);

/**
 * A registry is in ERROR while it has bound sensors and none of them is connected: its scans
 * would only pile up. It is ACTIVE again as soon as one bound sensor is back.
 */
export function settleStatus(registry: Registry, boundSensors: BoundSensor[], triggeredBy?: string): EventData<'RegistryStatusChanged'> | null {
  const connected = boundSensors.filter((s) => s.status !== 'offline');
  const target = boundSensors.length > 0 && connected.length === 0 ? 'ERROR' : 'ACTIVE';
  if (registry.status === target) return null;
  const base = { registryId: registry.id, from: registry.status };
  if (target === 'ERROR') {
    const culprit = boundSensors.find((s) => s.id === triggeredBy) ?? boundSensors[0]!;
    return { ...base, to: 'ERROR', reason: `Sensor ${label(culprit)} is offline`, sensorId: culprit.id };
  }
  const rescuer = connected.find((s) => s.id === triggeredBy) ?? connected[0];
  if (!rescuer) return { ...base, to: 'ACTIVE', reason: 'No bound sensors' };
  return { ...base, to: 'ACTIVE', reason: `Sensor ${label(rescuer)} is connected`, sensorId: rescuer.id };
}

export function decideRegistry(command: RegistryCommand, state: RegistryState): RegistryEvent[] {
  switch (command.type) {
    case 'Create': {
      if (state) throw new AppError('conflict', `Registry ${command.registryId} already exists`);
      const { registryId, orgId, name, url, scheduleIntervalMs } = command;
      return [{ type: 'RegistryCreated', data: { registryId, orgId, name, url, ...(scheduleIntervalMs ? { scheduleIntervalMs } : {}) } }];
    }
    case 'SetSchedule': {
      const registry = ownRegistry(state, command.orgId, command.registryId);
      if (registry.scheduleIntervalMs === command.scheduleIntervalMs) return [];
      return [{ type: 'RegistryScheduleChanged', data: { registryId: registry.id, scheduleIntervalMs: command.scheduleIntervalMs } }];
    }
    case 'Delete':
      ownRegistry(state, command.orgId, command.registryId);
      return [{ type: 'RegistryDeleted', data: { registryId: command.registryId } }];
    case 'SettleStatus': {
      if (!state || state.deleted) return [];
      const change = settleStatus(state, command.boundSensors, command.triggeredBy);
      return change ? [{ type: 'RegistryStatusChanged', data: change }] : [];
    }
  }
}

export function evolveRegistry(state: RegistryState, event: Evolving<RegistryEvent>): RegistryState {
  if (event.type === 'RegistryCreated') {
    const d = event.data;
    return {
      id: d.registryId,
      orgId: d.orgId,
      name: d.name,
      url: d.url,
      status: 'ACTIVE',
      reason: null,
      statusSensorId: null,
      scheduleIntervalMs: d.scheduleIntervalMs ?? null,
      createdAt: event.metadata.occurredAt,
      deleted: false,
    };
  }
  if (state === null) return state;
  switch (event.type) {
    case 'RegistryScheduleChanged':
      return { ...state, scheduleIntervalMs: event.data.scheduleIntervalMs };
    case 'RegistryStatusChanged':
      return { ...state, status: event.data.to, reason: event.data.reason, statusSensorId: event.data.sensorId ?? null };
    case 'RegistryDeleted':
      return { ...state, deleted: true };
  }
}

export const registryDecider: Decider<RegistryState, RegistryCommand, RegistryEvent> = {
  initialState: () => null,
  evolve: evolveRegistry,
  decide: decideRegistry,
};
