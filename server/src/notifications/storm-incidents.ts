import type { EventStore } from '@harborguard/eventstore';
import type { StreamStates } from '../core/stream-states.js';
import { deliveryIdOf, type Dispatch } from './dispatch.js';
import { readStormLosses } from './members.js';
import { stormResolvedMessage, type NotificationMessage } from './message.js';

interface OpenStorm {
  deliveryId: string;
  orgId: string;
  channelId: string;
  message: NotificationMessage;
  sourceEventIds: string[];
  /** Sensors listed that are still offline. */
  outstanding: Set<string>;
}

/**
 * A storm's grouped trigger opens one PagerDuty incident under its own dedup key, which no
 * per-sensor resolve closes. This closes it: once every sensor the storm listed is back online
 * or deleted, the channel gets a `resolve` with the storm's dedup key, sent only after the trigger
 * itself is finished. Only PagerDuty channels get it, whatever their rules: it ends an incident
 * HarborGuard opened. Webhook, Slack and email have no incident to close and get nothing extra;
 * every channel still gets the per-sensor "Sensor reconnected" its rules ask for.
 *
 * Which sensors are outstanding is taken from the write model when the storm is tracked (live,
 * or at start for a storm whose trigger is on record and whose resolve is not), so a restart
 * resumes the watch where it was.
 */
export class StormIncidents {
  private readonly open = new Map<string, OpenStorm>();
  private readonly bySensor = new Map<string, Set<OpenStorm>>();

  constructor(
    private readonly states: StreamStates,
    private readonly isPagerDuty: (channelId: string) => boolean,
    private readonly queue: (dispatch: Dispatch) => void,
    private readonly now: () => number,
  ) {}

  /** A storm's trigger was recorded for a channel: watch the sensors it listed. */
  track(dispatch: Pick<Dispatch, 'deliveryId' | 'orgId' | 'channelId' | 'message' | 'sourceEventIds'>, sensorIds: Iterable<string>): void {
    if (!dispatch.message.members || dispatch.message.action !== 'trigger' || !this.isPagerDuty(dispatch.channelId)) return;
    if (this.open.has(dispatch.deliveryId) || this.states.state('delivery', resolveIdOf(dispatch.deliveryId, dispatch.channelId))) return;
    const storm: OpenStorm = { ...dispatch, outstanding: new Set() };
    for (const sensorId of sensorIds) {
      const sensor = this.states.state('sensor', sensorId);
      if (!sensor || sensor.deleted || sensor.status !== 'offline') continue;
      storm.outstanding.add(sensorId);
      let storms = this.bySensor.get(sensorId);
      if (!storms) this.bySensor.set(sensorId, (storms = new Set()));
      storms.add(storm);
    }
    this.open.set(storm.deliveryId, storm);
    if (storm.outstanding.size === 0) this.resolve(storm);
  }

  /** A sensor is back online or was deleted. */
  recovered(sensorId: string): void {
    const storms = this.bySensor.get(sensorId);
    if (!storms) return;
    this.bySensor.delete(sensorId);
    for (const storm of storms) {
      storm.outstanding.delete(sensorId);
      if (storm.outstanding.size === 0) this.resolve(storm);
    }
  }

  /** At start: watches again every storm whose trigger is on record and whose incident is not resolved yet. */
  async resume(store: EventStore): Promise<void> {
    const unresolved = [...this.states.all('delivery')].filter((delivery) => {
      const message = delivery.message as unknown as NotificationMessage;
      return message.members !== undefined && message.action === 'trigger' && delivery.status !== 'suppressed';
    });
    for (const delivery of unresolved) {
      const message = delivery.message as unknown as NotificationMessage;
      if (!this.isPagerDuty(delivery.channelId) || this.states.state('delivery', resolveIdOf(delivery.id, delivery.channelId))) continue;
      const losses = await readStormLosses(store, message.members!);
      const sourceEventIds = [losses[0]?.eventId, losses[losses.length - 1]?.eventId].filter((id): id is string => id !== undefined);
      this.track({ deliveryId: delivery.id, orgId: delivery.orgId, channelId: delivery.channelId, message, sourceEventIds }, losses.map((loss) => loss.sensorId));
    }
  }

  private resolve(storm: OpenStorm): void {
    this.open.delete(storm.deliveryId);
    const message = stormResolvedMessage(storm.message, storm.deliveryId, new Date(this.now()).toISOString());
    this.queue({ deliveryId: resolveIdOf(storm.deliveryId, storm.channelId), orgId: storm.orgId, channelId: storm.channelId, message, sourceEventIds: storm.sourceEventIds, silenceId: null });
  }
}

/** The resolve of a storm's incident has one delivery id per trigger, so it is queued once however often it is decided. */
function resolveIdOf(triggerDeliveryId: string, channelId: string): string {
  return deliveryIdOf(`resolve-${triggerDeliveryId}`, channelId);
}
