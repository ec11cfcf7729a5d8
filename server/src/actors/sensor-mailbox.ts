import { createActor, type Actor, type AnyActorRef } from 'xstate';
import type { DomainEvent } from '@harborguard/shared';
import { lastContact, sensorMachine, statusOf, type ContactClock, type ResumeState, type SensorMachineEvent, type SensorMachineInput } from '../domain/sensor-machine.js';
import type { ModelEvent } from '../domain/fleet-model.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter, WriteContext } from '../app/event-writer.js';

export const sensorStream = (sensorId: string) => `sensor-${sensorId}`;

/**
 * One sensor's actor and the ordered path of its events into the store. Whatever the machine
 * emits — in answer to a request or when its offline timer fires — is appended to the
 * sensor's stream in emission order.
 */
export class SensorMailbox {
  private readonly actor: Actor<typeof sensorMachine>;
  private pending: DomainEvent[] = [];
  private sending = false;
  private readonly contactClock: ContactClock = { lastAt: Number.NEGATIVE_INFINITY };

  constructor(
    readonly sensorId: string,
    private readonly orgId: string,
    input: SensorMachineInput,
    /** One of the supervisor's parent actors: its system (timers, clock) is shared with its other sensor actors. */
    private readonly parent: AnyActorRef,
    private readonly clock: Clock,
    private readonly writer: EventWriter,
    private readonly log: (line: string) => void,
    private readonly onQuietContact: (sensorId: string) => void,
  ) {
    // The actor keeps its input for life: a plain literal shares one hidden class across actors,
    // where a spread copy would get a map of its own (about 250 bytes per sensor).
    const { sensorId: id, offlineAfterMs, resumeAs, startedAt, now, lastContactAt, jobId, clockSkewMs } = input;
    const machineInput: SensorMachineInput = { sensorId: id, offlineAfterMs, resumeAs, startedAt, now, lastContactAt, jobId, clockSkewMs, contactClock: this.contactClock };
    this.actor = createActor(sensorMachine, { input: machineInput, parent });
    this.actor.on('*', (event) => {
      this.pending.push(event);
      // Emitted outside send(): the offline timer fired.
      if (!this.sending) {
        const context: WriteContext = { orgId: this.orgId, actor: { kind: 'system', id: 'liveness-timer' }, at: this.clock.now() };
        this.flush(context).catch((error: unknown) => this.log(`could not store timer transition of sensor ${sensorId}: ${String(error)}`));
      }
    });
    this.actor.start();
  }

  get status(): ResumeState {
    return statusOf(this.actor.getSnapshot().value);
  }

  get lastContactAt(): number {
    return lastContact(this.actor.getSnapshot().context);
  }

  get jobId(): string | null {
    return this.actor.getSnapshot().context.jobId;
  }

  /**
   * A contact of a connected sensor changes no state: it is recorded where the machine's timer
   * reads it, without a machine step. False when the machine must handle it (the sensor is offline).
   */
  quietContact(at: number): boolean {
    if (this.status === 'offline') return false;
    this.contactClock.lastAt = at;
    this.onQuietContact(this.sensorId);
    return true;
  }

  /** Sends an event to the machine; resolves with the events it caused, once stored. */
  send(event: SensorMachineEvent, context: WriteContext): Promise<ModelEvent[]> {
    if (event.type === 'CONTACT' && event.sensorTime === undefined && this.quietContact(event.at)) return NOTHING;
    this.sending = true;
    try {
      this.actor.send(event);
    } finally {
      this.sending = false;
    }
    if (this.pending.length > 0) return this.flush(context);
    if (event.type === 'CONTACT') this.onQuietContact(this.sensorId);
    return NOTHING;
  }

  /** Appends events that are not transitions (details, bindings, deletion) in order with the machine's. */
  record(events: DomainEvent[], context: WriteContext): Promise<ModelEvent[]> {
    this.pending.push(...events);
    return this.flush(context);
  }

  stop(): void {
    // Only its parent may stop an actor that has one.
    this.parent.send({ type: 'sensor.stop', actor: this.actor });
  }

  private flush(context: WriteContext): Promise<ModelEvent[]> {
    const events = this.pending;
    this.pending = [];
    return this.writer.append(sensorStream(this.sensorId), events, context);
  }
}

const NOTHING: Promise<ModelEvent[]> = Promise.resolve([]);
