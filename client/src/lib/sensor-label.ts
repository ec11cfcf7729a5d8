/** What a sensor is called on screen: its name, else its host, else "unnamed sensor" and a short id. */
export function sensorLabel(sensor: { id: string; name: string; hostname: string }): string {
  return sensor.name || sensor.hostname || `unnamed sensor ${sensor.id.slice(0, 8)}`;
}

/** True for a row re-created from a bare heartbeat: it has not said who it is yet. */
export function detailsMissing(sensor: { name: string; hostname: string }): boolean {
  return sensor.name === '' && sensor.hostname === '';
}

/** The warning shown when other connected sensors report the same host, or null. */
export function sameHostWarning(sensor: { hostname: string; sameHostSensors: number }): string | null {
  if (sensor.sameHostSensors === 0) return null;
  const others = sensor.sameHostSensors === 1 ? '1 other connected sensor reports' : `${sensor.sameHostSensors} other connected sensors report`;
  return `${others} host ${sensor.hostname}: sensors sharing one node's Docker socket can deadlock. Run one sensor per node.`;
}
