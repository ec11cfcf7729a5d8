import { createActor, setup, stopChild, type Actor, type AnyActorRef, type AnyEventObject } from 'xstate';
import { createSensorMachine, type ResumeState, type SensorMachineEvent, type SensorMachineInput } from '../domain/sensor-machine.js';
import type { ModelEvent } from '../domain/model-event.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter, WriteContext } from '../core/event-writer.js';
import type { StreamStates } from '../core/stream-states.js';
import type { Sensor, SensorState } from '../domain/sensor.js';
import { SensorMailbox, emittedBy, type MailboxHost } from './sensor-mailbox.js';

export interface SupervisorOptions {
  writer: EventWriter;
  states: StreamStates;
  clock: Clock;
  offlineAfterMs: number;
  log?: (line: string) => void;
  /** Sensor actors that share one parent (and its system); SENSORS_PER_PARENT unless given. */
  sensorsPerParent?: number;
}

/**
 * A parent of sensor actors. Actors with a parent share its actor system (scheduler, clock,
 * registry) instead of building one each: a system costs about 2 KiB per actor, which at
 * 100 000 sensors is 200 MB. A sensor actor that fails reports here.
 */
const supervisorMachine = setup({
  types: {
    context: {} as { log: (line: string) => void },
    input: {} as { log: (line: string) => void },
    events: {} as { type: 'sensor.stop'; actor: AnyActorRef } | AnyEventObject,
  },
  actions: {
    stopSensorActor: stopChild(({ event }) => (event as { actor: AnyActorRef }).actor),
    reportChildFailure: ({ context, event }) => {
      if (event.type.startsWith('xstate.error.actor')) context.log(`sensor actor failed: ${String((event as { error?: unknown }).error)}`);
    },
  },
}).createMachine({
  id: 'sensor-supervisor',
  context: ({ input }) => ({ log: input.log }),
  on: {
    'sensor.stop': { actions: 'stopSensorActor' },
    '*': { actions: 'reportChildFailure' },
  },
});

/**
 * Sensors per parent actor. Stopping an actor makes XState enumerate every timer of its system
 * (an object it adds to and deletes from, so enumeration is slow), and an offline sensor's actor
 * is stopped each time: a bound here keeps that cost the same at any fleet size. A parent and its
 * system cost about 4 KiB, some 30 bytes per sensor.
 */
const SENSORS_PER_PARENT = 128;

/** Owns every sensor actor: creates them, routes requests to them, stops them. */
export class SensorSupervisor {
  private readonly mailboxes = new Map<string, SensorMailbox>();
  /**
   * Sensor actors are spread over parents, SENSORS_PER_PARENT to each in the order they are
   * started, a parent created when the last one is full: one system for the whole fleet would make
   * each stop (an offline sensor's actor resting, a deletion, the shutdown) cost in proportion to
   * the fleet.
   */
  private readonly parents: Actor<typeof supervisorMachine>[] = [];
  private spawned = 0;
  /** Shared by every mailbox: one machine, one clock, one writer. */
  private readonly host: MailboxHost;
  /** Told of contacts that changed nothing but the last-contact time (not events). */
  contactListener: (sensorId: string) => void = () => {};
  /**
   * The mailboxes of the sensors that called since `takeContacts`, each once (its
   * `contactUnsaved` says it is here): a heartbeat adds at most one entry, never a map entry
   * of a fleet-sized map.
   */
  private contacted: SensorMailbox[] = [];
  /** Org id → sensor id → last contact: contacts a checkpoint handed back, for the next one. */
  private returned = new Map<string, Map<string, number>>();

  constructor(private readonly options: SupervisorOptions) {
    const log = options.log ?? (() => {});
    this.host = {
      machine: createSensorMachine(options.clock),
      offlineAfterMs: options.offlineAfterMs,
      awake: { count: 0 },
      writer: options.writer,
      now: () => options.clock.now(),
      log,
      onQuietContact: (sensorId) => this.contactListener(sensorId),
      route: (emitted) => this.mailboxes.get(emittedBy(emitted))?.emitted(emitted),
    };
    options.states.onChange((_event, kind, _before, after) => {
      if (kind !== 'sensor' || after === null) return;
      const mailbox = this.mailboxes.get((after as Sensor).id);
      if (mailbox !== undefined) mailbox.sensor = after as Sensor;
    });
  }

  /** Sensors held, each with its actor awake or at rest (see SensorMailbox). */
  get size(): number {
    return this.mailboxes.size;
  }

  /** Sensor actors running now: those of the sensors that are not offline. */
  get awake(): number {
    return this.host.awake.count;
  }

  /**
   * Rebuilds an actor for every sensor of the write model (an offline sensor's at rest).
   * Connected sensors get a full threshold from `bootAt`: a restart must not declare the whole
   * fleet offline.
   */
  restoreAll(bootAt: number): void {
    for (const sensor of this.options.states.all('sensor')) {
      if (sensor.deleted || this.mailboxes.has(sensor.id)) continue;
      // The later of the last transition and the last checkpointed contact.
      const checkpointed = this.options.states.state('contacts', sensor.orgId)?.lastContactAt.get(sensor.id) ?? -Infinity;
      this.spawn(sensor.id, sensor.orgId, sensor, {
        resumeAs: sensor.status,
        startedAt: bootAt,
        lastContactAt: Math.max(Date.parse(sensor.lastContactAt), checkpointed),
        jobId: sensor.currentJobId,
        clockSkewMs: sensor.clockSkewMs,
      });
    }
  }

  /** Starts the actor of a sensor whose registration was just stored. */
  start(sensorId: string, orgId: string, at: number): void {
    this.mailboxes.get(sensorId)?.stop();
    this.spawn(sensorId, orgId, this.options.states.state('sensor', sensorId), { resumeAs: 'online', startedAt: at, lastContactAt: at });
  }

  has(sensorId: string): boolean {
    return this.mailboxes.has(sensorId);
  }

  send(sensorId: string, event: SensorMachineEvent, context: WriteContext): Promise<ModelEvent[]> {
    const mailbox = this.mailbox(sensorId);
    if (event.type === 'CONTACT') this.noteContact(mailbox);
    return mailbox.send(event, context);
  }

  /**
   * A sensor's mailbox: its actor, and the sensor as the write model knows it (`sensor`), so a
   * heartbeat needs this one lookup.
   */
  mailboxOf(sensorId: string): SensorMailbox | undefined {
    return this.mailboxes.get(sensorId);
  }

  /**
   * Records a contact that changes no state and returns the sensor's status; undefined when the
   * sensor's actor must handle it (see SensorMailbox).
   */
  quietContact(mailbox: SensorMailbox, at: number): ResumeState | undefined {
    const status = mailbox.quietContact(at);
    if (status !== undefined) this.noteContact(mailbox);
    return status;
  }

  /**
   * The last contact of each sensor that called since the previous call, by org: what the next
   * checkpoint records. Read from the mailboxes now, so a sensor that called many times is taken
   * once, at its latest.
   */
  takeContacts(): Map<string, Map<string, number>> {
    const taken = this.returned;
    this.returned = new Map();
    for (const mailbox of this.contacted) {
      mailbox.contactUnsaved = false;
      addContact(taken, mailbox.orgId, mailbox.sensorId, mailbox.lastContactAt);
    }
    this.contacted = [];
    return taken;
  }

  /** Contacts a checkpoint could not store, handed back for the next one. */
  restoreContacts(contacts: Map<string, Map<string, number>>): void {
    for (const [orgId, sensors] of contacts) for (const [id, at] of sensors) addContact(this.returned, orgId, id, at);
  }

  private noteContact(mailbox: SensorMailbox): void {
    if (mailbox.contactUnsaved) return;
    mailbox.contactUnsaved = true;
    this.contacted.push(mailbox);
  }

  status(sensorId: string): ResumeState | undefined {
    return this.mailboxes.get(sensorId)?.status;
  }

  /** Live status and last contact (heartbeats that change nothing are not events). */
  live(sensorId: string): { status: ResumeState; lastContactAt: number; jobId: string | null } | undefined {
    const mailbox = this.mailboxes.get(sensorId);
    return mailbox && { status: mailbox.status, lastContactAt: mailbox.lastContactAt, jobId: mailbox.jobId };
  }

  stop(sensorId: string): void {
    this.mailboxes.get(sensorId)?.stop();
    this.mailboxes.delete(sensorId);
  }

  stopAll(): void {
    for (const mailbox of this.mailboxes.values()) mailbox.stop();
    this.mailboxes.clear();
    for (const parent of this.parents) parent.stop();
    this.parents.length = 0;
    this.spawned = 0;
  }

  private mailbox(sensorId: string): SensorMailbox {
    const mailbox = this.mailboxes.get(sensorId);
    if (!mailbox) throw new Error(`no actor for sensor ${sensorId}`);
    return mailbox;
  }

  /** The parent of the next sensor actor: each system keeps the timers of at most that many sensors. */
  private nextParent(): Actor<typeof supervisorMachine> {
    const index = Math.floor(this.spawned++ / (this.options.sensorsPerParent ?? SENSORS_PER_PARENT));
    let parent = this.parents[index];
    if (parent === undefined) {
      parent = createActor(supervisorMachine, { input: { log: this.host.log }, clock: this.options.clock });
      parent.start();
      this.parents[index] = parent;
    }
    return parent;
  }

  private spawn(sensorId: string, orgId: string, sensor: SensorState, input: Omit<SensorMachineInput, 'sensorId' | 'offlineAfterMs'>): void {
    // A plain literal with the same keys in the same order: one hidden class for every actor's input.
    const { resumeAs, startedAt, lastContactAt, jobId = null, clockSkewMs = null } = input;
    const machineInput: SensorMachineInput = { sensorId, offlineAfterMs: this.options.offlineAfterMs, resumeAs, startedAt, lastContactAt, jobId, clockSkewMs };
    const mailbox = new SensorMailbox(sensorId, orgId, sensor, machineInput, this.nextParent(), this.host);
    // In the map before its actor starts: whatever the actor emits is routed here by sensor id.
    this.mailboxes.set(sensorId, mailbox);
    mailbox.start();
  }
}

/** Adds a sensor's contact to contacts by org, keeping the later when it is there already. */
function addContact(contacts: Map<string, Map<string, number>>, orgId: string, sensorId: string, at: number): void {
  let org = contacts.get(orgId);
  if (org === undefined) contacts.set(orgId, (org = new Map()));
  if ((org.get(sensorId) ?? -Infinity) < at) org.set(sensorId, at);
}
