import type { DomainEvent } from '@harborguard/shared';
import type { Decider } from '../domain/decider.js';
import type { ModelEvent } from '../domain/model-event.js';
import { streamId, streamKind } from '../domain/streams.js';
import type { EventWriter, WriteContext } from '../core/event-writer.js';
import type { StreamStates } from '../core/stream-states.js';

/**
 * The one command path: load the stream's state, let its decider decide, append what it
 * decided with the stream's revision as the expected revision (deciding again on the stored
 * stream after a conflict). Resolves with the events stored and the state after them.
 */
export class CommandHandler {
  constructor(
    private readonly states: StreamStates,
    private readonly writer: EventWriter,
  ) {}

  async handle<S, C>(streamName: string, decider: Pick<Decider<S, C, DomainEvent>, 'decide'>, command: C, context: WriteContext): Promise<{ events: ModelEvent[]; state: S }> {
    const kind = streamKind(streamName);
    if (kind === null) throw new Error(`no decider owns stream "${streamName}"`);
    const id = streamId(streamName);
    const current = () => this.states.state(kind, id) as S;
    const events = await this.writer.decideAndAppend(streamName, () => decider.decide(command, current()), context);
    return { events, state: current() };
  }
}
