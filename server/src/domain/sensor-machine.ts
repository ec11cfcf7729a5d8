import { assign, emit, enqueueActions, setup } from 'xstate';
import type { DomainEvent, EventData } from '@harborguard/shared';

/**
 * The life of one sensor. `connected` (online ⇄ scanning) turns `offline` when no
 * authenticated sensor request arrived for OFFLINE_AFTER; the timer is the actor's own
 * `after` transition. A contact moves the deadline to contact + OFFLINE_AFTER; when the timer
 * fires before the deadline it re-enters `connected`, armed for the time left. So a sensor
 * goes offline exactly at last contact + threshold, while a heartbeat costs no timer work.
 *
 * Contacts reach the machine two ways: as a CONTACT event, or, for the common heartbeat of a
 * connected sensor, by the mailbox setting the actor's contact clock, which the timer reads
 * when it fires (thousands of heartbeats a second need no machine step; the decision stays
 * here). Domain events leave the machine through `emit`; the mailbox stores them.
 */

/** A clock skew larger than this is recorded; it never affects liveness. */
export const CLOCK_SKEW_TOLERANCE_MS = 30_000;

export type SensorMachineEvent =
  /** Any authenticated request from the sensor, at server receive time. */
  | { type: 'CONTACT'; at: number; sensorTime?: number }
  | { type: 'JOB_STARTED'; jobId: string; at: number }
  | { type: 'JOB_ENDED'; jobId: string; at: number; outcome: 'completed' | 'failed' | 'cancelled' };

export type ResumeState = 'online' | 'scanning' | 'offline';

export interface SensorMachineInput {
  sensorId: string;
  offlineAfterMs: number;
  /** The state to enter: 'online' for a new sensor, the stored state after a restart. */
  resumeAs: ResumeState;
  /** When the offline window starts: now for a new sensor, boot time after a restart. */
  startedAt: number;
  /** The actor's clock: the timer is armed for the time left from now. */
  now: () => number;
  /** Contacts recorded without a machine step (see above); the latest of it and CONTACT events counts. */
  contactClock?: ContactClock;
  /** Last contact known when restoring (server time, ms). */
  lastContactAt?: number;
  jobId?: string | null;
  clockSkewMs?: number | null;
}

/** The time of the latest contact recorded outside the machine. */
export interface ContactClock {
  lastAt: number;
}

export interface SensorMachineContext {
  sensorId: string;
  offlineAfterMs: number;
  lastContactAt: number;
  /** Start of the current offline window: the last contact, or boot time after a restart. */
  windowStartedAt: number;
  /** When the armed timer is due. */
  timerDueAt: number;
  now: () => number;
  contactClock: ContactClock;
  jobId: string | null;
  resumeAs: ResumeState;
  /** Last recorded skew beyond tolerance, or null while the sensor's clock agrees with ours. */
  clockSkewMs: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** The latest contact, whichever way it arrived. */
export const lastContact = (context: SensorMachineContext) => Math.max(context.lastContactAt, context.contactClock.lastAt);
const windowStart = (context: SensorMachineContext) => Math.max(context.windowStartedAt, context.contactClock.lastAt);

/** Whether a skew measurement is worth a new event: crossing the tolerance, or moving by more than it. */
function skewChanged(recorded: number | null, measured: number): boolean {
  const beyond = Math.abs(measured) > CLOCK_SKEW_TOLERANCE_MS;
  if (recorded === null) return beyond;
  if (!beyond) return true;
  return Math.abs(measured - recorded) > CLOCK_SKEW_TOLERANCE_MS;
}

export const sensorMachine = setup({
  types: {
    context: {} as SensorMachineContext,
    events: {} as SensorMachineEvent,
    input: {} as SensorMachineInput,
    emitted: {} as DomainEvent,
  },
  delays: {
    OFFLINE_AFTER: ({ context }) => Math.max(0, context.timerDueAt - context.now()),
  },
  guards: {
    resumesOffline: ({ context }) => context.resumeAs === 'offline',
    resumesScanning: ({ context }) => context.resumeAs === 'scanning' && context.jobId !== null,
    isCurrentJob: ({ context, event }) => event.type === 'JOB_ENDED' && event.jobId === context.jobId,
    reportsItsClock: ({ event }) => event.type === 'CONTACT' && event.sensorTime !== undefined,
    silentForThreshold: ({ context }) => windowStart(context) + context.offlineAfterMs <= context.timerDueAt,
  },
  actions: {
    recordContact: assign(({ event }) => {
      const at = (event as { at: number }).at;
      return { lastContactAt: at, windowStartedAt: at };
    }),
    armTimer: assign(({ context, event }) => ({ timerDueAt: (event as { at: number }).at + context.offlineAfterMs })),
    // The timer fired early: the sensor called since it was armed. Wait for the time left.
    rearmTimer: assign(({ context }) => ({ timerDueAt: windowStart(context) + context.offlineAfterMs })),
    emitCameOnline: emit(({ context, event }) => ({
      type: 'SensorCameOnline',
      data: { sensorId: context.sensorId, at: iso((event as { at: number }).at), from: 'offline' },
    })),
    emitStartedScanning: emit(({ context, event }) => {
      const { jobId, at } = event as Extract<SensorMachineEvent, { type: 'JOB_STARTED' }>;
      return { type: 'SensorStartedScanning', data: { sensorId: context.sensorId, jobId, at: iso(at) } };
    }),
    assignJob: assign(({ event }) => ({ jobId: (event as Extract<SensorMachineEvent, { type: 'JOB_STARTED' }>).jobId })),
    emitFinishedScanning: emit(({ context, event }) => {
      const { jobId, at, outcome } = event as Extract<SensorMachineEvent, { type: 'JOB_ENDED' }>;
      return { type: 'SensorFinishedScanning', data: { sensorId: context.sensorId, jobId, at: iso(at), outcome } };
    }),
    clearJob: assign({ jobId: null }),
    // Skew is a diagnostic only: recorded once per change, never used for liveness.
    observeClockSkew: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CONTACT' || event.sensorTime === undefined) return;
      const measured = Math.round(event.sensorTime - event.at);
      if (!skewChanged(context.clockSkewMs, measured)) return;
      const data: EventData<'SensorClockSkewObserved'> = {
        sensorId: context.sensorId,
        skewMs: measured,
        sensorTime: iso(event.sensorTime),
        serverTime: iso(event.at),
      };
      enqueue.emit({ type: 'SensorClockSkewObserved', data });
      enqueue.assign({ clockSkewMs: Math.abs(measured) > CLOCK_SKEW_TOLERANCE_MS ? measured : null });
    }),
    emitWentOffline: emit(({ context }) => {
      const data: EventData<'SensorWentOffline'> = {
        sensorId: context.sensorId,
        lastHeartbeatAt: iso(lastContact(context)),
        // The moment the threshold was crossed, independent of how late the timer callback ran.
        at: iso(windowStart(context) + context.offlineAfterMs),
        thresholdMs: context.offlineAfterMs,
        ...(context.jobId ? { jobId: context.jobId } : {}),
      };
      return { type: 'SensorWentOffline', data };
    }),
  },
}).createMachine({
  id: 'sensor',
  context: ({ input }) => ({
    sensorId: input.sensorId,
    offlineAfterMs: input.offlineAfterMs,
    lastContactAt: input.lastContactAt ?? input.startedAt,
    windowStartedAt: input.startedAt,
    timerDueAt: input.startedAt + input.offlineAfterMs,
    now: input.now,
    contactClock: input.contactClock ?? { lastAt: Number.NEGATIVE_INFINITY },
    jobId: input.jobId ?? null,
    resumeAs: input.resumeAs,
    clockSkewMs: input.clockSkewMs ?? null,
  }),
  initial: 'restoring',
  states: {
    // Entered once at creation: restored actors start their state fresh (XState does not persist timers).
    restoring: {
      always: [
        { guard: 'resumesOffline', target: 'offline' },
        { guard: 'resumesScanning', target: 'connected.scanning' },
        { target: 'connected.online', actions: 'clearJob' },
      ],
    },
    connected: {
      initial: 'online',
      after: {
        OFFLINE_AFTER: [
          { guard: 'silentForThreshold', target: 'offline', actions: ['emitWentOffline', 'clearJob'] },
          // Re-entering arms the timer again; history keeps online/scanning as it was.
          { target: '.resume', reenter: true, actions: 'rearmTimer' },
        ],
      },
      on: {
        CONTACT: [
          { guard: 'reportsItsClock', actions: ['recordContact', 'observeClockSkew'] },
          // The common heartbeat: one assignment, nothing else.
          { actions: 'recordContact' },
        ],
      },
      states: {
        online: {
          on: { JOB_STARTED: { target: 'scanning', actions: ['assignJob', 'emitStartedScanning'] } },
        },
        scanning: {
          on: { JOB_ENDED: { guard: 'isCurrentJob', target: 'online', actions: ['emitFinishedScanning', 'clearJob'] } },
        },
        resume: { type: 'history', history: 'shallow' },
      },
    },
    offline: {
      on: {
        CONTACT: { target: 'connected.online', actions: ['recordContact', 'armTimer', 'emitCameOnline', 'observeClockSkew'] },
      },
    },
  },
});

/** The status shown to people, derived from the machine's state value. */
export function statusOf(value: unknown): ResumeState {
  if (value === 'offline') return 'offline';
  if (typeof value === 'object' && value !== null && 'connected' in value) {
    return (value as { connected: string }).connected === 'scanning' ? 'scanning' : 'online';
  }
  return 'online';
}
