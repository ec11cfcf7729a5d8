import type { EventData } from '@harborguard/shared';
import type { Registry, Sensor } from './fleet-model.js';

const label = (sensor: Sensor) => (sensor.name ? `"${sensor.name}" (${sensor.id})` : sensor.id);

/**
 * A registry is in ERROR while it has bound sensors and none of them is connected: its scans
 * would only pile up. It is ACTIVE again as soon as one bound sensor is back.
 */
export function decideRegistryStatus(
  registry: Registry,
  boundSensors: Sensor[],
  triggeringSensorId?: string,
): EventData<'RegistryStatusChanged'> | null {
  const connected = boundSensors.filter((s) => s.status !== 'offline');
  const shouldBeError = boundSensors.length > 0 && connected.length === 0;
  const target = shouldBeError ? 'ERROR' : 'ACTIVE';
  if (registry.status === target) return null;
  if (target === 'ERROR') {
    const culprit = boundSensors.find((s) => s.id === triggeringSensorId) ?? boundSensors[0]!;
    return {
      registryId: registry.id,
      from: registry.status,
      to: 'ERROR',
      reason: `Sensor ${label(culprit)} is offline`,
      sensorId: culprit.id,
    };
  }
  const rescuer = connected.find((s) => s.id === triggeringSensorId) ?? connected[0];
  return {
    registryId: registry.id,
    from: registry.status,
    to: 'ACTIVE',
    reason: rescuer ? `Sensor ${label(rescuer)} is connected` : 'No bound sensors',
    ...(rescuer ? { sensorId: rescuer.id } : {}),
  };
}
