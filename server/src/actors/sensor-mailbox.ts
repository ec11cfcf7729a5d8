import { createActor, type Actor, type AnyActorRef } from 'xstate';
import type { DomainEvent } from '@harborguard/shared';
import { statusOf, type LaterContactRequest, type ResumeState, type SensorMachine, type SensorMachineEvent, type SensorMachineInput } from '../domain/sensor-machine.js';
import type { ModelEvent } from '../domain/model-event.js';
import { sensorStream } from '../domain/streams.js';
import type { EventWriter, WriteContext } from '../core/event-writer.js';

/** What a mailbox needs from its supervisor. */
export interface MailboxHost {
  machine: SensorMachine;
  writer: EventWriter;
  now: () => number;
  log: (line: string) => void;
  /** Told of a contact that changed nothing but the last-contact time. */
  onQuietContact: (sensorId: string) => void;
  /**
   * Hears what every sensor actor emits and hands it to that sensor's mailbox (`emitted`): one
   * listener for the whole fleet instead of one per actor.
   */
  route: (emitted: SensorEmitted) => void;
}

/** What a sensor actor emits: domain events, and its requests for a later contact. */
export type SensorEmitted = DomainEvent | LaterContactRequest;

/** The sensor an emitted event is about. */
export const emittedBy = (emitted: SensorEmitted): string =>
  emitted.type === 'LATER_CONTACT_REQUESTED' ? emitted.sensorId : (emitted.data as { sensorId: string }).sensorId;

const TIMER_ACTOR = { kind: 'system', id: 'liveness-timer' } as const;

/**
 * One sensor's actor and the ordered path of its events into the store. Whatever the machine
 * emits — in answer to a request or when its offline timer fires — is appended to the
 * sensor's stream in emission order.
 */
export class SensorMailbox {
  private readonly actor: Actor<SensorMachine>;
  private pending: DomainEvent[] = [];
  private sending = false;
  /**
   * The latest heartbeat of a connected sensor not yet passed to the machine: it changes nothing
   * but the deadline, so the machine is told only when it asks (see the sensor machine).
   */
  private unpassedContactAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly sensorId: string,
    readonly orgId: string,
    input: SensorMachineInput,
    /** One of the supervisor's parent actors: its system (timers, clock) is shared with its other sensor actors. */
    private readonly parent: AnyActorRef,
    private readonly host: MailboxHost,
  ) {
    this.actor = createActor(host.machine, { input, parent });
    this.actor.on('*', host.route);
  }

  /** Starts the actor; its supervisor routes what it emits to this mailbox from then on. */
  start(): void {
    this.actor.start();
  }

  /** Something this sensor's actor emitted. */
  emitted(event: SensorEmitted): void {
    if (event.type === 'LATER_CONTACT_REQUESTED') return this.passLaterContact(event.since);
    this.pending.push(event);
    // Emitted outside send(): the offline timer fired.
    if (!this.sending) {
      const context: WriteContext = { orgId: this.orgId, actor: TIMER_ACTOR, at: this.host.now() };
      this.flush(context).catch((error: unknown) => this.host.log(`could not store timer transition of sensor ${this.sensorId}: ${String(error)}`));
    }
  }

  get status(): ResumeState {
    return statusOf(this.actor.getSnapshot().value);
  }

  get lastContactAt(): number {
    return Math.max(this.actor.getSnapshot().context.lastContactAt, this.unpassedContactAt);
  }

  get jobId(): string | null {
    return this.actor.getSnapshot().context.jobId;
  }

  /**
   * A contact of a connected sensor: it only moves the deadline, so nothing waits for a write.
   * False when the sensor is offline (its contact is a transition to store first).
   */
  quietContact(at: number): boolean {
    if (this.status === 'offline') return false;
    this.unpassedContactAt = at;
    this.host.onQuietContact(this.sensorId);
    return true;
  }

  /** The machine's deadline passed as far as it knows: it gets the later contact kept here, or hears there was none. */
  private passLaterContact(since: number): void {
    const at = this.unpassedContactAt;
    this.unpassedContactAt = Number.NEGATIVE_INFINITY;
    this.actor.send(at > since ? { type: 'CONTACT', at } : { type: 'NO_LATER_CONTACT' });
  }

  /**
   * Sends an event to the machine; resolves with the events it caused, once stored. While the
   * store is away, a contact of a connected sensor moves nothing but the deadline: it needs no
   * append, and a live sensor is not punished for the store's outage. A contact of an offline
   * sensor would bring it back online, which cannot be stored now: it is refused (503) before
   * the machine sees it, and the sensor's retry brings it back later. Job events follow a job
   * change already stored, so the machine must follow too: they are taken, and what the machine
   * emits is kept and stored when the store is back (so is anything emitted when the store goes
   * away during the append); a caller waiting on it is answered 503 meanwhile.
   */
  send(event: SensorMachineEvent, context: WriteContext): Promise<ModelEvent[]> {
    const availability = this.host.writer.availability;
    if (!availability.available && event.type === 'CONTACT' && this.status === 'offline') return Promise.reject(availability.refusal());
    this.sending = true;
    try {
      this.actor.send(event);
    } finally {
      this.sending = false;
    }
    if (this.pending.length > 0) return this.flush(context);
    if (event.type === 'CONTACT') this.host.onQuietContact(this.sensorId);
    return NOTHING;
  }

  stop(): void {
    // Only its parent may stop an actor that has one.
    this.parent.send({ type: 'sensor.stop', actor: this.actor });
  }

  private flush(context: WriteContext): Promise<ModelEvent[]> {
    const events = this.pending;
    this.pending = [];
    return this.host.writer.append(sensorStream(this.sensorId), events, context);
  }
}

const NOTHING: Promise<ModelEvent[]> = Promise.resolve([]);
