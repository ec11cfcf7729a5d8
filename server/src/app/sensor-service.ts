import { randomUUID } from 'node:crypto';
import type { JobRow, SensorStatus } from '@harborguard/shared';
import { AppError } from '../domain/errors.js';
import type { Job, JobCommand } from '../domain/job.js';
import { sensorStream } from '../domain/streams.js';
import { bindingLost, checkSensorKey, ownSensor, sensorDecider, type Sensor, type SensorCommand, type SensorDetails } from '../domain/sensor.js';
import type { WriteContext } from '../core/event-writer.js';
import { isoTime } from '../core/clock.js';
import type { JobService } from './job-service.js';
import type { RegistryService } from './registry-service.js';
import type { SensorPrincipal, UserPrincipal } from './principal.js';
import { userContext, type Services } from './services.js';

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

/** Says why no new sensor can be taken now (null when one can), e.g. while memory is short. */
export interface NewSensorGate {
  refusal(): string | null;
}

type JobOutcome = Extract<JobCommand, { type: 'Report' }>['status'];

const SENSOR_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function sensorContext(principal: SensorPrincipal, sensorId: string, at: number): WriteContext {
  return { orgId: principal.orgId, actor: { kind: 'sensor', id: sensorId }, at };
}

/** Everything a sensor does, and what operators do to sensors. */
export class SensorService {
  constructor(
    private readonly services: Services,
    private readonly jobs: JobService,
    private readonly registries: RegistryService,
    private readonly maxSensorsPerOrg: number,
    private readonly gate: NewSensorGate = { refusal: () => null },
  ) {}

  /**
   * Idempotent: within an org the same name and host get the same sensor back, however often
   * the sensor restarts and whichever of the org's keys it presents; what changed is recorded.
   */
  async register(principal: SensorPrincipal, input: RegistrationInput): Promise<SensorAck> {
    const at = this.services.clock.now();
    const { name, hostname, version, os, arch, capabilities, scannerVersions } = input;
    const details: SensorDetails = { name, hostname, version, os, arch, capabilities, scannerVersions };
    const sensorId = await this.services.locks.run(`identity:${principal.orgId}:${name}:${hostname}`, async () => {
      const existing = this.findForRegistration(principal, input);
      const id = existing?.id ?? randomUUID();
      // A known sensor's registration is a contact first: an offline one comes back online.
      if (existing) await this.touch(existing.id, sensorContext(principal, id, at));
      await this.decide(id, { type: 'Register', sensorId: id, orgId: principal.orgId, apiKeyId: principal.apiKeyId, details, autoCreated: false }, principal, at);
      return id;
    });
    if (input.registryUrl) await this.bindByUrl(principal, sensorId, input.registryUrl, at);
    return this.ack(sensorId);
  }

  /** Any authenticated sensor request: proves the sensor is alive. Unknown ids are re-created. */
  async contact(principal: SensorPrincipal, sensorId: string, sensorTime?: number): Promise<Sensor> {
    const at = this.services.clock.now();
    const sensor = await this.ensure(principal, sensorId, at);
    await this.touch(sensor.id, sensorContext(principal, sensor.id, at), sensorTime);
    return sensor;
  }

  /**
   * The common heartbeat, answered at once: a known sensor that is connected changes no state
   * and waits for no write. Null when the request needs the full path of `heartbeat`.
   */
  quietHeartbeat(principal: SensorPrincipal, sensorId: string): SensorAck | null {
    const { supervisor, clock } = this.services;
    // The sensor as its mailbox holds it: one lookup. An id that is not the caller's own
    // sensor's (another org's, resolved through the index) takes the full path.
    const mailbox = supervisor.mailboxOf(sensorId);
    const known = mailbox?.sensor;
    if (mailbox === undefined || !known || known.orgId !== principal.orgId || known.apiKeyId !== principal.apiKeyId || known.deleted) return null;
    const now = clock.now();
    const status = supervisor.quietContact(mailbox, now);
    return status === undefined ? null : { sensorId, status, serverTime: isoTime(now) };
  }

  async heartbeat(principal: SensorPrincipal, sensorId: string, sensorTime?: number): Promise<SensorAck> {
    const sensor = await this.contact(principal, sensorId, sensorTime);
    return this.ack(sensor.id, sensorId);
  }

  /** The answer to a request naming a sensor of the caller's org, after it was handled. */
  ackFor(principal: SensorPrincipal, sensorId: string): SensorAck {
    const known = this.ownRow(principal, sensorId);
    if (known === null || known === 'elsewhere') throw new AppError('not_found', `Sensor ${sensorId} not found`);
    return this.ack(known.id, sensorId);
  }

  /** A job poll: liveness, then at most one job (one at a time), and cancellations to act on. */
  async poll(principal: SensorPrincipal, sensorId: string): Promise<SensorAck & { jobs: AssignedJob[]; cancelJobs: string[] }> {
    const sensor = await this.contact(principal, sensorId);
    const cancelJobs = this.jobs.cancellations.take(sensor.id);
    const assigned: AssignedJob[] = [];
    if (!this.bindingLost(sensor)) {
      const job = await this.jobs.assignNext(sensor, sensorContext(principal, sensor.id, this.services.clock.now()));
      const scanners = Object.keys(sensor.scannerVersions);
      if (job) assigned.push({ job, scanners: scanners.length ? scanners : ['trivy'] });
    }
    return { ...this.ack(sensor.id, sensorId), jobs: assigned, cancelJobs };
  }

  /** A job report. Without a sensor id (the wire route), the job's own sensor is the reporter. */
  async report(principal: SensorPrincipal, input: { jobId: string; status: JobOutcome; error?: string | undefined; sensorId?: string | undefined }): Promise<JobRow> {
    const reporterId = input.sensorId === undefined ? this.sensorOfJob(principal, input.jobId) : (await this.contact(principal, input.sensorId)).id;
    if (input.sensorId === undefined && reporterId !== undefined) await this.contact(principal, reporterId);
    const context = sensorContext(principal, reporterId ?? 'unknown', this.services.clock.now());
    return this.jobs.report({ orgId: principal.orgId, sensorId: reporterId }, input, context);
  }

  /**
   * Stores the summary of an uploaded scan envelope on its job. Without a sensor id (the wire
   * route), the job's own sensor is the uploader when the caller holds its key.
   */
  async upload(
    principal: SensorPrincipal,
    input: { jobId: string; sensorId?: string | undefined; scanStatus: string; vulnerabilityCounts: Record<string, number>; riskScore: number | null },
  ): Promise<{ jobId: string }> {
    const { jobId, sensorId, ...results } = input;
    const uploaderId = sensorId === undefined ? this.sensorOfJob(principal, jobId) : (await this.contact(principal, sensorId)).id;
    if (sensorId === undefined && uploaderId !== undefined) await this.contact(principal, uploaderId);
    await this.jobs.recordResults({ orgId: principal.orgId, sensorId: uploaderId }, jobId, results, sensorContext(principal, uploaderId ?? 'unknown', this.services.clock.now()));
    return { jobId };
  }

  async bindRegistry(principal: UserPrincipal, sensorId: string, registryId: string): Promise<void> {
    const registry = this.registries.own(principal, registryId);
    const context = userContext(principal, this.services);
    await this.services.handler.handle(sensorStream(sensorId), sensorDecider, { type: 'Bind', sensorId, orgId: principal.orgId, registryId: registry.id }, context);
  }

  async delete(principal: UserPrincipal, sensorId: string): Promise<{ id: string; deleted: true }> {
    await this.services.handler.handle(sensorStream(sensorId), sensorDecider, { type: 'Delete', sensorId, orgId: principal.orgId }, userContext(principal, this.services));
    this.services.supervisor.stop(sensorId);
    return { id: sensorId, deleted: true };
  }

  /** The answer to a sensor: the id it called itself by (its row's, unless another org's sensor has that id), its status, the time. */
  ack(rowId: string, calledAs = rowId): SensorAck {
    return { sensorId: calledAs, status: this.services.supervisor.status(rowId) ?? 'online', serverTime: isoTime(this.services.clock.now()) };
  }

  private bindingLost(sensor: Sensor): boolean {
    return bindingLost(sensor, sensor.registryId === null ? null : this.services.states.state('registry', sensor.registryId));
  }

  private findForRegistration(principal: SensorPrincipal, input: RegistrationInput): Sensor | undefined {
    const { states, indexes } = this.services;
    if (input.sensorId !== undefined) {
      const byId = states.state('sensor', input.sensorId);
      if (byId && byId.orgId === principal.orgId && !byId.deleted) return byId;
    }
    // A sensor re-created from a bare heartbeat gets its name and host from a registration
    // naming its id. Adopting an unnamed row by guess could merge two different sensors.
    const id = indexes.sensorIdOf({ orgId: principal.orgId, name: input.name, hostname: input.hostname });
    return id === undefined ? undefined : (states.state('sensor', id) ?? undefined);
  }

  /**
   * The caller's org's row for the sensor a request names: its own sensor of that id, or the row
   * made for a sensor calling itself by an id another org's sensor has ('elsewhere' while there
   * is none yet). Ids are unique across orgs, but an org never learns of another org's sensor.
   */
  private ownRow(principal: SensorPrincipal, sensorId: string): Sensor | null | 'elsewhere' {
    const { states, indexes } = this.services;
    const known = states.state('sensor', sensorId);
    if (known === null || known.orgId === principal.orgId) return known;
    const rowId = indexes.sensorIdOfAgent(principal.orgId, sensorId);
    return rowId === undefined ? 'elsewhere' : states.state('sensor', rowId);
  }

  /** The sensor a request names, re-created when it is unknown or was deleted. */
  private async ensure(principal: SensorPrincipal, sensorId: string, at: number): Promise<Sensor> {
    const known = this.ownRow(principal, sensorId);
    if (known !== null && known !== 'elsewhere' && !known.deleted) {
      checkSensorKey(known, principal.apiKeyId);
      if (this.services.supervisor.has(known.id)) return known;
    }
    if (!SENSOR_ID.test(sensorId)) throw new AppError('bad_request', 'agentId: must be 1–128 letters, digits, ".", "_", ":" or "-"');
    return this.services.locks.run(`sensor-create:${principal.orgId}:${sensorId}`, async () => {
      const current = this.ownRow(principal, sensorId);
      const target = current === 'elsewhere' ? { id: randomUUID(), agentId: sensorId } : { id: current?.id ?? sensorId, agentId: current?.agentId ?? undefined };
      const command = { type: 'Register', sensorId: target.id, orgId: principal.orgId, apiKeyId: principal.apiKeyId, autoCreated: true, agentId: target.agentId } as const;
      await this.decide(target.id, command, principal, at);
      return ownSensor(this.services.states.state('sensor', target.id), principal.orgId, target.id);
    });
  }

  /**
   * Registers through the sensor's decider, and starts the actor of a sensor that has none. A row
   * that would be new counts against the org's sensor limit; the org's new rows are made one at
   * a time, so the limit holds under concurrent registrations. The gate may refuse new rows
   * (memory running short); sensors that have a row are never refused by it.
   */
  private async decide(sensorId: string, command: SensorCommand, principal: SensorPrincipal, at: number): Promise<void> {
    const { handler, states, indexes, supervisor, locks } = this.services;
    const current = states.state('sensor', sensorId);
    const handle = () => handler.handle(sensorStream(sensorId), sensorDecider, command, sensorContext(principal, sensorId, at));
    const { events } =
      current !== null && !current.deleted
        ? await handle()
        : await locks.run(`new-sensor:${principal.orgId}`, () => {
            const refusal = this.gate.refusal();
            if (refusal !== null) throw new AppError('unavailable', refusal);
            if (indexes.sensorCount(principal.orgId) >= this.maxSensorsPerOrg) {
              throw new AppError('forbidden', `This org has reached its limit of ${this.maxSensorsPerOrg} sensors (HARBORGUARD_MAX_SENSORS_PER_ORG); delete sensors it no longer uses`);
            }
            return handle();
          });
    const registered = events.some((event) => event.type === 'SensorRegistered');
    if (registered || !supervisor.has(sensorId)) supervisor.start(sensorId, principal.orgId, at);
  }

  private touch(sensorId: string, context: WriteContext, sensorTime?: number): Promise<unknown> {
    return this.services.supervisor.send(sensorId, { type: 'CONTACT', at: context.at, ...(sensorTime === undefined ? {} : { sensorTime }) }, context);
  }

  private async bindByUrl(principal: SensorPrincipal, sensorId: string, url: string, at: number): Promise<void> {
    const registry = this.registries.byUrl(principal.orgId, url);
    if (!registry) return;
    await this.services.handler.handle(sensorStream(sensorId), sensorDecider, { type: 'Bind', sensorId, orgId: principal.orgId, registryId: registry.id }, sensorContext(principal, sensorId, at));
  }

  private sensorOfJob(principal: SensorPrincipal, jobId: string): string | undefined {
    const job = this.services.states.state('job', jobId);
    if (!job || job.orgId !== principal.orgId || job.sensorId === null) return undefined;
    const sensor = this.services.states.state('sensor', job.sensorId);
    return sensor && sensor.apiKeyId === principal.apiKeyId ? sensor.id : undefined;
  }
}
