import type { FleetSummary as FleetSummaryWithHosts, SensorStatus } from '@harborguard/shared';
import { defineProjection } from './projection.js';
import { recordsOf, type Sensor } from './records.js';

/** The counts this projection keeps; shared hosts are counted by the sensor rows. */
type FleetSummary = Omit<FleetSummaryWithHosts, 'sharedHosts'>;

const emptySummary = (): FleetSummary => ({ total: 0, online: 0, scanning: 0, offline: 0 });

/** How many live sensors each org has, in all and per status. */
export class FleetCountsState {
  private readonly counts = new Map<string, FleetSummary>();
  /** Org and status of every live sensor: what a count moves from when it changes. */
  private readonly live = new Map<string, { orgId: string; status: SensorStatus }>();

  /** A copy of an org's counts. */
  summary(orgId: string): FleetSummary {
    return { ...(this.counts.get(orgId) ?? emptySummary()) };
  }

  add(sensorId: string, orgId: string, status: SensorStatus): void {
    this.remove(sensorId);
    this.live.set(sensorId, { orgId, status });
    const counts = this.countsOf(orgId);
    counts.total++;
    counts[status]++;
  }

  /** Moves a live sensor to another status; sensors deleted or never registered are not counted. */
  move(sensorId: string, status: SensorStatus): void {
    const sensor = this.live.get(sensorId);
    if (!sensor || sensor.status === status) return;
    const counts = this.countsOf(sensor.orgId);
    counts[sensor.status]--;
    counts[status]++;
    sensor.status = status;
  }

  remove(sensorId: string): void {
    const sensor = this.live.get(sensorId);
    if (!sensor) return;
    this.live.delete(sensorId);
    const counts = this.countsOf(sensor.orgId);
    counts.total--;
    counts[sensor.status]--;
  }

  private countsOf(orgId: string): FleetSummary {
    let counts = this.counts.get(orgId);
    if (!counts) this.counts.set(orgId, (counts = emptySummary()));
    return counts;
  }
}

export const fleetCountsProjection = () =>
  defineProjection({
    name: 'fleet-counts',
    initialState: new FleetCountsState(),
    evolve: {
      SensorRegistered: (state, d) => state.add(d.sensorId, d.orgId, 'online'),
      SensorCameOnline: (state, d) => state.move(d.sensorId, 'online'),
      SensorStartedScanning: (state, d) => state.move(d.sensorId, 'scanning'),
      SensorFinishedScanning: (state, d) => state.move(d.sensorId, 'online'),
      SensorWentOffline: (state, d) => state.move(d.sensorId, 'offline'),
      SensorDeleted: (state, d) => state.remove(d.sensorId),
    },
    load: (state, records) => {
      for (const sensor of recordsOf<Sensor>(records, 'sensor')) if (!sensor.deleted) state.add(sensor.id, sensor.orgId, sensor.status);
    },
  });
