import { createActor, type Actor, type AnyActorRef } from 'xstate';
import type { DomainEvent } from '@harborguard/shared';
import { statusAfter, statusOf, type LaterContactRequest, type ResumeState, type SensorMachine, type SensorMachineEvent, type SensorMachineInput } from '../domain/sensor-machine.js';
import type { ModelEvent } from '../domain/model-event.js';
import { sensorStream } from '../domain/streams.js';
import type { EventWriter, WriteContext } from '../core/event-writer.js';
import type { SensorState } from '../domain/sensor.js';

/** What a mailbox needs from its supervisor. */
export interface MailboxHost {
  machine: SensorMachine;
  offlineAfterMs: number;
  /** Actors awake now, fleet-wide (see SensorMailbox): kept by the mailboxes as they wake and rest. */
  awake: { count: number };
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
 *
 * An offline sensor's actor rests: it has no timer and nothing to do until the sensor calls
 * again, so it is stopped and the little it knows that outlives the offline state (last
 * contact, recorded clock skew) is kept here as data. The next event wakes it: a new actor of
 * the same machine, entering `offline` with that data, handles it. Held by a whole fleet, a
 * resting actor costs a few dozen bytes where an awake one costs kilobytes.
 */
export class SensorMailbox {
  private actor: Actor<SensorMachine> | null = null;
  /** Emitted and not yet handed to the writer; null while there are none (a fleet holds a million mailboxes). */
  private pending: DomainEvent[] | null = null;
  private sending = false;
  /**
   * The latest heartbeat of a connected sensor not yet passed to the machine: it changes nothing
   * but the deadline, so the machine is told only when it asks (see the sensor machine).
   */
  private unpassedContactAt = Number.NEGATIVE_INFINITY;
  /** While the actor rests: its last contact and recorded clock skew. */
  private restingContactAt: number;
  private restingClockSkewMs: number | null;
  /** What the actor starts from, kept until `start`. */
  private input: SensorMachineInput | null;
  /**
   * The awake actor's status: read from it when it wakes, then from each status event it emits
   * (every change of status emits one). A heartbeat reads this instead of the actor's snapshot.
   */
  private statusHeard: ResumeState = 'offline';
  /** Whether a contact of this sensor waits for the next checkpoint (see SensorSupervisor.takeContacts). */
  contactUnsaved = false;

  constructor(
    readonly sensorId: string,
    readonly orgId: string,
    /**
     * The sensor as the write model knows it now, kept current by the supervisor: a heartbeat
     * checks its caller against it without a second lookup.
     */
    public sensor: SensorState,
    input: SensorMachineInput,
    /** One of the supervisor's parent actors: its system (timers, clock) is shared with its other sensor actors. */
    private readonly parent: AnyActorRef,
    private readonly host: MailboxHost,
  ) {
    this.input = input;
    this.restingContactAt = input.lastContactAt ?? input.startedAt;
    this.restingClockSkewMs = input.clockSkewMs ?? null;
  }

  /** Starts the actor (a sensor restored offline starts at rest); its supervisor routes what it emits to this mailbox from then on. */
  start(): void {
    const input = this.input;
    this.input = null;
    if (input !== null && input.resumeAs !== 'offline') this.wake(input);
  }

  /** Something this sensor's actor emitted. */
  emitted(event: SensorEmitted): void {
    if (event.type === 'LATER_CONTACT_REQUESTED') return this.passLaterContact(event.since);
    this.statusHeard = statusAfter(event.type) ?? this.statusHeard;
    (this.pending ??= []).push(event);
    // Emitted outside send(): the offline timer fired.
    if (!this.sending) {
      const context: WriteContext = { orgId: this.orgId, actor: TIMER_ACTOR, at: this.host.now() };
      this.flush(context).catch((error: unknown) => this.host.log(`could not store timer transition of sensor ${this.sensorId}: ${String(error)}`));
      // The actor is still in its step: it rests once the step is over.
      if (event.type === 'SensorWentOffline') queueMicrotask(() => this.restIfOffline());
    }
  }

  get status(): ResumeState {
    return this.actor === null ? 'offline' : this.statusHeard;
  }

  get lastContactAt(): number {
    return this.actor === null ? this.restingContactAt : Math.max(this.actor.getSnapshot().context.lastContactAt, this.unpassedContactAt);
  }

  get jobId(): string | null {
    return this.actor === null ? null : this.actor.getSnapshot().context.jobId;
  }

  /**
   * A contact of a connected sensor: it only moves the deadline, so nothing waits for a write.
   * Returns the sensor's status, or undefined when it is offline (its contact is a transition to
   * store first).
   */
  quietContact(at: number): ResumeState | undefined {
    const status = this.status;
    if (status === 'offline') return undefined;
    this.unpassedContactAt = at;
    this.host.onQuietContact(this.sensorId);
    return status;
  }

  /** The machine's deadline passed as far as it knows: it gets the later contact kept here, or hears there was none. */
  private passLaterContact(since: number): void {
    const at = this.unpassedContactAt;
    this.unpassedContactAt = Number.NEGATIVE_INFINITY;
    this.actor?.send(at > since ? { type: 'CONTACT', at } : { type: 'NO_LATER_CONTACT' });
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
    const actor = this.actor ?? this.wake(this.restingInput());
    this.sending = true;
    try {
      actor.send(event);
    } finally {
      this.sending = false;
    }
    // An event an offline sensor's machine ignores (a job change) leaves it at rest again.
    this.restIfOffline();
    if (this.pending !== null) return this.flush(context);
    if (event.type === 'CONTACT') this.host.onQuietContact(this.sensorId);
    return NOTHING;
  }

  stop(): void {
    if (this.actor === null) return;
    // Only its parent may stop an actor that has one.
    this.parent.send({ type: 'sensor.stop', actor: this.actor });
    this.actor = null;
    this.host.awake.count--;
  }

  private wake(input: SensorMachineInput): Actor<SensorMachine> {
    const actor = createActor(this.host.machine, { input, parent: this.parent });
    actor.on('*', this.host.route);
    this.actor = actor;
    this.host.awake.count++;
    actor.start();
    this.statusHeard = statusOf(actor.getSnapshot().value);
    return actor;
  }

  /** What an actor woken from rest starts from: offline, with what the resting one knew. */
  private restingInput(): SensorMachineInput {
    const at = this.host.now();
    return { sensorId: this.sensorId, offlineAfterMs: this.host.offlineAfterMs, resumeAs: 'offline', startedAt: at, lastContactAt: this.restingContactAt, jobId: null, clockSkewMs: this.restingClockSkewMs };
  }

  /** Lets the actor rest if its sensor is offline (and nothing is being sent to it). */
  private restIfOffline(): void {
    const actor = this.actor;
    if (actor === null || this.sending) return;
    const { value, context } = actor.getSnapshot();
    if (statusOf(value) !== 'offline') return;
    this.restingContactAt = context.lastContactAt;
    this.restingClockSkewMs = context.clockSkewMs;
    this.stop();
  }

  private flush(context: WriteContext): Promise<ModelEvent[]> {
    const events = this.pending ?? [];
    this.pending = null;
    return this.host.writer.append(sensorStream(this.sensorId), events, context);
  }
}

const NOTHING: Promise<ModelEvent[]> = Promise.resolve([]);
