import { randomUUID } from 'node:crypto';
import type { EventData, JobRow, SensorStatus } from '@harborguard/shared';
import type { FleetModel, Job, Sensor, SensorDetails } from '../domain/fleet-model.js';
import type { SensorSupervisor } from '../actors/sensor-supervisor.js';
import { sensorStream } from '../actors/sensor-mailbox.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter, WriteContext } from './event-writer.js';
import type { KeyedSerializer } from './serializer.js';
import { AppError } from '../domain/errors.js';
import type { JobOutcome, JobService } from './job-service.js';
import type { RegistryService } from './registry-service.js';
import type { SensorPrincipal, UserPrincipal } from './principal.js';

export interface RegistrationInput extends SensorDetails {
  /** Sent by newer agents that remember their id. */
  sensorId?: string | undefined;
  /** Sent by newer agents: bind to the org's registry with this URL. */
  registryUrl?: string | undefined;
}

/** What a sensor is told after each call: who it is, how it is seen, when to call again. */
export interface SensorAck {
  sensorId: string;
  status: SensorStatus;
  serverTime: string;
}

export interface AssignedJob {
  job: Job;
  scanners: string[];
}

const SENSOR_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const DETAIL_FIELDS = ['name', 'hostname', 'version', 'os', 'arch', 'capabilities', 'scannerVersions'] as const;

function sensorContext(principal: SensorPrincipal, sensorId: string, at: number): WriteContext {
  return { orgId: principal.orgId, actor: { kind: 'sensor', id: sensorId }, at };
}

/** Everything a sensor does, and what operators do to sensors. */
export class SensorService {
  constructor(
    private readonly state: FleetModel,
    private readonly writer: EventWriter,
    private readonly locks: KeyedSerializer,
    private readonly supervisor: SensorSupervisor,
    private readonly jobs: JobService,
    private readonly registries: RegistryService,
    private readonly clock: Clock,
  ) {}

  /**
   * Idempotent: the same key, name and host get the same sensor back, however often the
   * sensor restarts; what changed about it is recorded.
   */
  async register(principal: SensorPrincipal, input: RegistrationInput): Promise<SensorAck> {
    const at = this.clock.now();
    const sensorId = await this.locks.run(`identity:${principal.apiKeyId}:${input.name}:${input.hostname}`, async () => {
      const existing = this.findForRegistration(principal, input);
      if (!existing) return this.create(principal, randomUUID(), input, false, at);
      const context = sensorContext(principal, existing.id, at);
      await this.touch(existing, at, context);
      const changes = detailChanges(existing, input);
      if (changes) await this.supervisor.record(existing.id, [{ type: 'SensorDetailsChanged', data: { sensorId: existing.id, changes } }], context);
      return existing.id;
    });
    if (input.registryUrl) await this.bindByUrl(principal, sensorId, input.registryUrl, at);
    return this.ack(sensorId);
  }

  /** Any authenticated sensor request: proves the sensor is alive. Unknown ids are re-created. */
  async contact(principal: SensorPrincipal, sensorId: string, sensorTime?: number): Promise<Sensor> {
    const at = this.clock.now();
    const sensor = await this.ensure(principal, sensorId, at);
    await this.touch(sensor, at, sensorContext(principal, sensor.id, at), sensorTime);
    return sensor;
  }

  /**
   * The common heartbeat, answered at once: a known sensor that is connected changes no state
   * and waits for no write. Null when the request needs the full path of `heartbeat`.
   */
  quietHeartbeat(principal: SensorPrincipal, sensorId: string): SensorAck | null {
    const known = this.state.sensors.get(sensorId);
    if (known === undefined || known.orgId !== principal.orgId || known.deleted) return null;
    return this.supervisor.quietContact(sensorId, this.clock.now()) ? this.ack(sensorId) : null;
  }

  async heartbeat(principal: SensorPrincipal, sensorId: string, sensorTime?: number): Promise<SensorAck> {
    await this.contact(principal, sensorId, sensorTime);
    return this.ack(sensorId);
  }

  /** A job poll: liveness, then at most one job (one at a time), and cancellations to act on. */
  async poll(principal: SensorPrincipal, sensorId: string): Promise<SensorAck & { jobs: AssignedJob[]; cancelJobs: string[] }> {
    const sensor = await this.contact(principal, sensorId);
    const cancelJobs = this.jobs.takeCancellations(sensor.id);
    const assigned: AssignedJob[] = [];
    if (!this.state.bindingLost(sensor)) {
      const job = await this.jobs.assignNext(sensor, sensorContext(principal, sensor.id, this.clock.now()));
      if (job) assigned.push({ job, scanners: Object.keys(sensor.scannerVersions).length ? Object.keys(sensor.scannerVersions) : ['trivy'] });
    }
    return { ...this.ack(sensor.id), jobs: assigned, cancelJobs };
  }

  /** A job report. Without a sensor id (the wire route), the job's own sensor is the reporter. */
  async report(principal: SensorPrincipal, input: { jobId: string; status: JobOutcome; error?: string | undefined; sensorId?: string | undefined }): Promise<JobRow> {
    const reporterId = input.sensorId ?? this.sensorOfJob(principal, input.jobId);
    if (reporterId !== undefined) await this.contact(principal, reporterId);
    const at = this.clock.now();
    return this.jobs.report(
      { orgId: principal.orgId, apiKeyId: principal.apiKeyId, sensorId: input.sensorId },
      input,
      sensorContext(principal, reporterId ?? 'unknown', at),
    );
  }

  /** Stores the summary of an uploaded scan envelope on its job. */
  async upload(
    principal: SensorPrincipal,
    input: { jobId: string; scanStatus: string; vulnerabilityCounts: Record<string, number>; riskScore: number | null },
  ): Promise<{ jobId: string }> {
    const reporterId = this.sensorOfJob(principal, input.jobId);
    if (reporterId !== undefined) await this.contact(principal, reporterId);
    const { jobId, ...results } = input;
    await this.jobs.recordResults(principal, jobId, results, sensorContext(principal, reporterId ?? 'unknown', this.clock.now()));
    return { jobId };
  }

  async bindRegistry(principal: UserPrincipal, sensorId: string, registryId: string): Promise<void> {
    const sensor = this.own(principal.orgId, sensorId);
    const registry = this.registries.own(principal, registryId);
    await this.bind(sensor, registry.id, { orgId: principal.orgId, actor: { kind: 'user', id: principal.tokenId }, at: this.clock.now() });
  }

  async delete(principal: UserPrincipal, sensorId: string): Promise<{ id: string; deleted: true }> {
    const sensor = this.own(principal.orgId, sensorId);
    await this.supervisor.record(sensor.id, [{ type: 'SensorDeleted', data: { sensorId: sensor.id } }], {
      orgId: principal.orgId,
      actor: { kind: 'user', id: principal.tokenId },
      at: this.clock.now(),
    });
    this.supervisor.stop(sensor.id);
    return { id: sensor.id, deleted: true };
  }

  ack(sensorId: string): SensorAck {
    return { sensorId, status: this.supervisor.status(sensorId) ?? 'online', serverTime: new Date(this.clock.now()).toISOString() };
  }

  private findForRegistration(principal: SensorPrincipal, input: RegistrationInput): Sensor | undefined {
    if (input.sensorId !== undefined) {
      const byId = this.state.sensors.get(input.sensorId);
      if (byId && byId.orgId === principal.orgId && !byId.deleted) return byId;
    }
    // A sensor re-created from a bare heartbeat gets its name and host from a registration
    // naming its id. Adopting an unnamed row by guess could merge two different sensors.
    return this.state.sensorByIdentity(principal.apiKeyId, input.name, input.hostname);
  }

  /** The sensor a request names, re-created when it is unknown or was deleted. */
  private async ensure(principal: SensorPrincipal, sensorId: string, at: number): Promise<Sensor> {
    const known = this.state.sensors.get(sensorId);
    if (known && known.orgId !== principal.orgId) throw new AppError('not_found', `Sensor ${sensorId} not found`);
    if (known && !known.deleted && this.supervisor.has(sensorId)) return known;
    if (!SENSOR_ID.test(sensorId)) throw new AppError('bad_request', 'agentId: must be 1–128 letters, digits, ".", "_", ":" or "-"');
    return this.locks.run(`sensor-create:${sensorId}`, async () => {
      const current = this.state.sensors.get(sensorId);
      if (current && !current.deleted && this.supervisor.has(sensorId)) return current;
      // A deleted sensor that calls again comes back as a new row with the details it had.
      const details: SensorDetails = current ?? { name: '', hostname: '', version: '', os: '', arch: '', capabilities: [], scannerVersions: {} };
      await this.create(principal, sensorId, details, true, at);
      return this.state.sensors.get(sensorId)!;
    });
  }

  private async create(principal: SensorPrincipal, sensorId: string, details: SensorDetails, autoCreated: boolean, at: number): Promise<string> {
    const data: EventData<'SensorRegistered'> = {
      sensorId,
      orgId: principal.orgId,
      apiKeyId: principal.apiKeyId,
      autoCreated,
      name: details.name,
      hostname: details.hostname,
      version: details.version,
      os: details.os,
      arch: details.arch,
      capabilities: [...details.capabilities],
      scannerVersions: { ...details.scannerVersions },
    };
    await this.writer.append(sensorStream(sensorId), [{ type: 'SensorRegistered', data }], sensorContext(principal, sensorId, at));
    this.supervisor.start(sensorId, principal.orgId, at);
    return sensorId;
  }

  private async touch(sensor: Sensor, at: number, context: WriteContext, sensorTime?: number): Promise<void> {
    await this.supervisor.send(sensor.id, { type: 'CONTACT', at, ...(sensorTime === undefined ? {} : { sensorTime }) }, context);
  }

  private async bindByUrl(principal: SensorPrincipal, sensorId: string, url: string, at: number): Promise<void> {
    const sensor = this.state.sensors.get(sensorId);
    const registry = [...this.state.registries.values()].find((r) => r.orgId === principal.orgId && !r.deleted && r.url === url);
    if (!sensor || !registry || sensor.registryId === registry.id) return;
    await this.bind(sensor, registry.id, sensorContext(principal, sensorId, at));
  }

  private async bind(sensor: Sensor, registryId: string, context: WriteContext): Promise<void> {
    if (sensor.registryId === registryId) return;
    const previousRegistryId = sensor.registryId;
    await this.supervisor.record(
      sensor.id,
      [{ type: 'SensorBoundToRegistry', data: { sensorId: sensor.id, registryId, ...(previousRegistryId ? { previousRegistryId } : {}) } }],
      context,
    );
  }

  private sensorOfJob(principal: SensorPrincipal, jobId: string): string | undefined {
    const job = this.state.jobs.get(jobId);
    if (!job || job.orgId !== principal.orgId || job.sensorId === null) return undefined;
    const sensor = this.state.sensors.get(job.sensorId);
    return sensor && sensor.apiKeyId === principal.apiKeyId ? sensor.id : undefined;
  }

  private own(orgId: string, sensorId: string): Sensor {
    const sensor = this.state.sensors.get(sensorId);
    if (!sensor || sensor.orgId !== orgId || sensor.deleted) throw new AppError('not_found', `Sensor ${sensorId} not found`);
    return sensor;
  }
}

function detailChanges(sensor: Sensor, input: SensorDetails): EventData<'SensorDetailsChanged'>['changes'] | null {
  const changes: Record<string, unknown> = {};
  for (const field of DETAIL_FIELDS) {
    if (JSON.stringify(sensor[field]) !== JSON.stringify(input[field])) changes[field] = input[field];
  }
  return Object.keys(changes).length ? (changes as EventData<'SensorDetailsChanged'>['changes']) : null;
}
