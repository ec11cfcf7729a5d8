import { assign, emit, enqueueActions, setup } from 'xstate';
import type { DomainEvent, EventData, JobOutcome } from '@harborguard/shared';

/**
 * The life of one sensor, and the one place that decides it.
 *
 * - `connected` (`online` ⇄ `scanning`, following the jobs it runs) turns `offline` at
 *   last contact + OFFLINE_AFTER: the actor's own `after` timer decides, no polling loop.
 * - Any authenticated request from the sensor is a contact, at the server's receive time.
 *   While connected it only moves the deadline: no timer work per heartbeat. The machine's
 *   host may keep the heartbeats of a connected sensor to itself (they change nothing else)
 *   and pass on only the latest, when asked: once the deadline passes as far as the machine
 *   knows, it asks (LATER_CONTACT_REQUESTED) and the host answers at once with a later CONTACT
 *   or NO_LATER_CONTACT. A later contact moves the deadline (the timer is armed for the time
 *   left); none means the sensor went offline, at last contact + OFFLINE_AFTER.
 * - An `offline` sensor's next contact brings it straight back `online`.
 * - Restored after a restart, a connected sensor gets a full threshold from boot: the service
 *   being down must not look like every sensor dying.
 *
 * Domain events leave through `emit`; the sensor's mailbox stores them in order.
 */

/** A clock skew larger than this is recorded; it never affects liveness. */
export const CLOCK_SKEW_TOLERANCE_MS = 30_000;

export type SensorMachineEvent =
  /** Any authenticated request from the sensor, at server receive time; `sensorTime` when it sent its clock. */
  | { type: 'CONTACT'; at: number; sensorTime?: number }
  | { type: 'JOB_STARTED'; jobId: string; at: number }
  | { type: 'JOB_ENDED'; jobId: string; at: number; outcome: JobOutcome }
  /** The host's answer when asked for a later contact: there was none. */
  | { type: 'NO_LATER_CONTACT' };

/** The machine asks its host for a contact later than `since` that it was not told of. */
export interface LaterContactRequest {
  type: 'LATER_CONTACT_REQUESTED';
  sensorId: string;
  since: number;
}

export type ResumeState = 'online' | 'scanning' | 'offline';

export interface SensorMachineInput {
  sensorId: string;
  offlineAfterMs: number;
  /** The state to enter: 'online' for a new sensor, the stored state after a restart. */
  resumeAs: ResumeState;
  /** When the offline window starts (server time, ms): now for a new sensor, boot time after a restart. */
  startedAt: number;
  /** Last contact known when restoring (server time, ms). */
  lastContactAt?: number;
  jobId?: string | null;
  clockSkewMs?: number | null;
}

export interface SensorMachineContext {
  sensorId: string;
  offlineAfterMs: number;
  lastContactAt: number;
  /** Start of the current offline window: the last contact, or boot time after a restart. */
  windowStartedAt: number;
  /** When the armed timer is due. */
  timerDueAt: number;
  jobId: string | null;
  resumeAs: ResumeState;
  /** Last recorded skew beyond tolerance, or null while the sensor's clock agrees with ours. */
  clockSkewMs: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();
const deadline = (context: SensorMachineContext) => context.windowStartedAt + context.offlineAfterMs;

/** Whether a skew measurement is worth a new event: crossing the tolerance, or moving by more than it. */
function skewChanged(recorded: number | null, measured: number): boolean {
  const beyond = Math.abs(measured) > CLOCK_SKEW_TOLERANCE_MS;
  if (recorded === null) return beyond;
  if (!beyond) return true;
  return Math.abs(measured - recorded) > CLOCK_SKEW_TOLERANCE_MS;
}

type Contact = { at: number; sensorTime?: number | undefined };
type JobStart = { jobId: string; at: number };
type JobEnd = JobStart & { outcome: JobOutcome };

/** Used only through `createSensorMachine`, which puts it on a clock. */
const sensorMachine = setup({
  types: {
    context: {} as SensorMachineContext,
    events: {} as SensorMachineEvent,
    input: {} as SensorMachineInput,
    emitted: {} as DomainEvent | LaterContactRequest,
  },
  delays: {
    // The time left until the armed timer is due needs the actor's clock: `createSensorMachine` gives it.
    OFFLINE_AFTER: ({ context }) => context.offlineAfterMs,
  },
  guards: {
    resumesOffline: ({ context }) => context.resumeAs === 'offline',
    resumesScanning: ({ context }) => context.resumeAs === 'scanning' && context.jobId !== null,
    isCurrentJob: ({ context }, params: { jobId: string }) => params.jobId === context.jobId,
    deadlinePassed: ({ context }) => deadline(context) <= context.timerDueAt,
  },
  actions: {
    recordContact: assign((_, params: Contact) => ({ lastContactAt: params.at, windowStartedAt: params.at })),
    armTimer: assign(({ context }, params: Contact) => ({ timerDueAt: params.at + context.offlineAfterMs })),
    // The timer fired before the deadline: armed again for the time left.
    rearmTimer: assign(({ context }) => ({ timerDueAt: deadline(context) })),
    emitCameOnline: emit(({ context }, params: Contact) => ({
      type: 'SensorCameOnline' as const,
      data: { sensorId: context.sensorId, at: iso(params.at), from: 'offline' as const },
    })),
    assignJob: assign((_, params: JobStart) => ({ jobId: params.jobId })),
    emitStartedScanning: emit(({ context }, params: JobStart) => ({
      type: 'SensorStartedScanning' as const,
      data: { sensorId: context.sensorId, jobId: params.jobId, at: iso(params.at) },
    })),
    emitFinishedScanning: emit(({ context }, params: JobEnd) => ({
      type: 'SensorFinishedScanning' as const,
      data: { sensorId: context.sensorId, jobId: params.jobId, at: iso(params.at), outcome: params.outcome },
    })),
    clearJob: assign({ jobId: null }),
    askForLaterContact: emit(({ context }) => ({ type: 'LATER_CONTACT_REQUESTED' as const, sensorId: context.sensorId, since: context.lastContactAt })),
    // Skew is a diagnostic only: recorded once per change, never used for liveness.
    observeClockSkew: enqueueActions(({ context, enqueue }, params: Contact) => {
      if (params.sensorTime === undefined) return;
      const measured = Math.round(params.sensorTime - params.at);
      if (!skewChanged(context.clockSkewMs, measured)) return;
      const data: EventData<'SensorClockSkewObserved'> = { sensorId: context.sensorId, skewMs: measured, sensorTime: iso(params.sensorTime), serverTime: iso(params.at) };
      enqueue.emit({ type: 'SensorClockSkewObserved', data });
      enqueue.assign({ clockSkewMs: Math.abs(measured) > CLOCK_SKEW_TOLERANCE_MS ? measured : null });
    }),
    emitWentOffline: emit(({ context }) => {
      const data: EventData<'SensorWentOffline'> = {
        sensorId: context.sensorId,
        lastHeartbeatAt: iso(context.lastContactAt),
        // The moment the threshold was crossed, however late the timer callback ran.
        at: iso(deadline(context)),
        thresholdMs: context.offlineAfterMs,
        ...(context.jobId ? { jobId: context.jobId } : {}),
      };
      return { type: 'SensorWentOffline' as const, data };
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
    jobId: input.jobId ?? null,
    resumeAs: input.resumeAs,
    clockSkewMs: input.clockSkewMs ?? null,
  }),
  initial: 'restoring',
  states: {
    // Entered once at creation: restored actors enter their state fresh (XState does not persist timers).
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
          { guard: 'deadlinePassed', target: 'confirming', actions: 'askForLaterContact' },
          // Entering again arms the timer again; history keeps online / scanning as it was.
          { target: '.resume', reenter: true, actions: 'rearmTimer' },
        ],
      },
      on: {
        // The deadline moves; a contact carrying the sensor's clock may also record its skew.
        CONTACT: {
          actions: [
            { type: 'recordContact', params: ({ event }) => event },
            { type: 'observeClockSkew', params: ({ event }) => event },
          ],
        },
      },
      states: {
        online: {
          on: {
            JOB_STARTED: {
              target: 'scanning',
              actions: [
                { type: 'assignJob', params: ({ event }) => event },
                { type: 'emitStartedScanning', params: ({ event }) => event },
              ],
            },
          },
        },
        scanning: {
          on: {
            JOB_ENDED: {
              guard: { type: 'isCurrentJob', params: ({ event }) => event },
              target: 'online',
              actions: [{ type: 'emitFinishedScanning', params: ({ event }) => event }, 'clearJob'],
            },
          },
        },
        resume: { type: 'history', history: 'shallow' },
      },
    },
    // The deadline passed as far as the machine knows; the host answers at once.
    confirming: {
      on: {
        CONTACT: {
          target: 'connected.resume',
          actions: [
            { type: 'recordContact', params: ({ event }) => event },
            { type: 'armTimer', params: ({ event }) => event },
            { type: 'observeClockSkew', params: ({ event }) => event },
          ],
        },
        NO_LATER_CONTACT: { target: 'offline', actions: ['emitWentOffline', 'clearJob'] },
      },
    },
    offline: {
      on: {
        CONTACT: {
          target: 'connected.online',
          actions: [
            { type: 'recordContact', params: ({ event }) => event },
            { type: 'armTimer', params: ({ event }) => event },
            { type: 'emitCameOnline', params: ({ event }) => event },
            { type: 'observeClockSkew', params: ({ event }) => event },
          ],
        },
      },
    },
  },
});

/** What the machine reads the time from: the actor system's clock, so simulated time drives it in tests. */
export interface MachineClock {
  now(): number;
}

/** The sensor machine on a clock: each timer is armed for the time left until it is due. */
export function createSensorMachine(clock: MachineClock) {
  return sensorMachine.provide({ delays: { OFFLINE_AFTER: ({ context }) => Math.max(0, context.timerDueAt - clock.now()) } });
}

export type SensorMachine = ReturnType<typeof createSensorMachine>;

/** The status shown to people, derived from the machine's state value. */
export function statusOf(value: unknown): ResumeState {
  if (value === 'offline') return 'offline';
  if (typeof value === 'object' && value !== null && 'connected' in value) {
    return (value as { connected: string }).connected === 'scanning' ? 'scanning' : 'online';
  }
  return 'online';
}

/** The status each of the machine's status events leaves the sensor in; every change of status emits one. */
const STATUS_AFTER: ReadonlyMap<string, ResumeState> = new Map([
  ['SensorCameOnline', 'online'],
  ['SensorStartedScanning', 'scanning'],
  ['SensorFinishedScanning', 'online'],
  ['SensorWentOffline', 'offline'],
]);

/** The status an event the machine emitted leaves the sensor in; undefined for events that change none. */
export function statusAfter(eventType: string): ResumeState | undefined {
  return STATUS_AFTER.get(eventType);
}
