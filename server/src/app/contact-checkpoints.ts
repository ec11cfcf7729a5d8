import { setImmediate as nextTurn } from 'node:timers/promises';
import { CONTACTS_PER_RECORD, contactsDecider } from '../domain/contacts.js';
import { contactsStream } from '../domain/streams.js';
import type { Services } from './services.js';

const CHECKPOINTER = { kind: 'system', id: 'contact-checkpoint' } as const;

/**
 * Every interval, the last contacts of the sensors that called since the previous checkpoint are
 * stored: one record per org (split so each append stays small), never one per heartbeat. A
 * restart, even a `kill -9`, loses at most one interval of last contacts.
 *
 * A large fleet's checkpoint is many small records, each decided, stored and projected in its
 * own turn of the event loop: sensor timers and requests run between them, so a checkpoint never
 * holds the service for long, and it still ends as soon as the work allows.
 */
export class ContactCheckpoints {
  private timer: unknown = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly services: Services,
    private readonly intervalMs: number,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    const tick = () => {
      this.timer = this.services.clock.setTimeout(tick, this.intervalMs);
      void this.checkpoint();
    };
    this.timer = this.services.clock.setTimeout(tick, this.intervalMs);
  }

  /** Stops the timer and stores what is left: a clean shutdown loses no last contact. */
  async stop(): Promise<void> {
    if (this.timer !== null) this.services.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.checkpoint();
  }

  /** Stores the contacts taken now, after any checkpoint still being written. */
  checkpoint(): Promise<void> {
    // While the store is away contacts stay with the supervisor, one per sensor however long it
    // lasts, and go with the first checkpoint after it is back: no record piles up meanwhile.
    if (!this.services.writer.availability.available) return this.running;
    const taken = this.services.supervisor.takeContacts();
    this.running = this.running.then(() => this.store(taken));
    return this.running;
  }

  private async store(taken: Map<string, Map<string, number>>): Promise<void> {
    const at = this.services.clock.now();
    for (const [orgId, contacts] of taken) {
      let chunk = new Map<string, number>();
      for (const [sensorId, contactAt] of contacts) {
        chunk.set(sensorId, contactAt);
        if (chunk.size < CONTACTS_PER_RECORD) continue;
        await this.storeRecord(orgId, chunk, at);
        chunk = new Map();
      }
      if (chunk.size > 0) await this.storeRecord(orgId, chunk, at);
    }
  }

  private async storeRecord(orgId: string, chunk: Map<string, number>, at: number): Promise<void> {
    try {
      await this.services.handler.handle(contactsStream(orgId), contactsDecider, { type: 'Checkpoint', orgId, contacts: chunk }, { orgId, actor: CHECKPOINTER, at });
    } catch (error) {
      // Kept for the next checkpoint rather than lost.
      this.services.supervisor.restoreContacts(new Map([[orgId, chunk]]));
      this.log(`could not checkpoint last contacts of org ${orgId}: ${String(error)}`);
    }
    // An append to the embedded store resolves without leaving the current turn: give the
    // event loop one before the next record, so timers that fell due are not held back.
    await nextTurn();
  }
}
