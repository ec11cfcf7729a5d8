import type {
  ActorNames,
  Me,
  OrgRow,
  Role,
  SessionRow,
  TokenRow,
} from '@harborguard/shared';
import type {
  ApiKeyRow,
  AuditEvent,
  AuditEventsQuery,
  FleetChange,
  FleetSummary,
  JobRow,
  JobType,
  LiveViewChange,
  LiveViewInput,
  RegistryRow,
  SensorDetail,
  SensorListInput,
  SensorListPage,
  Whoami,
} from '@harborguard/shared';
import type { TrpcClient } from './client';
import { createNotificationsApi } from './notifications';

export interface LiveFleetHandlers {
  onData(id: string, change: FleetChange): void;
  onError(error: unknown): void;
  onStarted?(): void;
}

export interface LiveViewHandlers {
  onData(change: LiveViewChange): void;
  onError(error: unknown): void;
}

export interface Subscription {
  unsubscribe(): void;
}

/** JSON drops an undefined `data`; the dashboard always has one. */
function auditEvent(event: Omit<AuditEvent, 'data'> & { data?: unknown }): AuditEvent {
  return { ...event, data: event.data ?? null };
}

/** The read and write API the dashboard uses, in the types the server shares with it. */
export function createApi(trpc: TrpcClient) {
  return {
    whoami: (): Promise<Whoami> => trpc.session.whoami.query(),
    fleetSummary: (): Promise<FleetSummary> => trpc.fleet.summary.query(),

    listSensors: (input: SensorListInput): Promise<SensorListPage> => trpc.sensors.list.query(input),
    getSensor: async (input: { id: string; jobsCursor?: string; auditCursor?: string; limit?: number }): Promise<SensorDetail> => {
      const detail = await trpc.sensors.get.query(input);
      return { ...detail, auditTrail: { items: detail.auditTrail.items.map(auditEvent), next: detail.auditTrail.next } };
    },
    bindRegistry: (sensorId: string, registryId: string) => trpc.sensors.bindRegistry.mutate({ sensorId, registryId }),
    deleteSensor: (id: string) => trpc.sensors.delete.mutate({ id }),

    listRegistries: (): Promise<RegistryRow[]> => trpc.registries.list.query(),
    createRegistry: (input: { name: string; url: string; scheduleIntervalMs?: number }): Promise<{ id: string }> => trpc.registries.create.mutate(input),
    deleteRegistry: (id: string) => trpc.registries.delete.mutate({ id }),
    setSchedule: (id: string, scheduleIntervalMs: number | null) => trpc.registries.setSchedule.mutate({ id, scheduleIntervalMs }),

    listJobs: (input: { sensorId?: string; registryId?: string }): Promise<JobRow[]> => trpc.jobs.list.query(input),
    scanNow: (input: { registryId: string; imageRef: string; type?: JobType }): Promise<{ jobId: string; status: string; reason: string | null }> =>
      trpc.jobs.scanNow.mutate(input),
    cancelJob: (jobId: string) => trpc.jobs.cancel.mutate({ jobId }),

    listApiKeys: (): Promise<ApiKeyRow[]> => trpc.apiKeys.list.query(),
    createApiKey: (name: string): Promise<{ id: string; key: string }> => trpc.apiKeys.create.mutate({ name }),
    rotateApiKey: (id: string): Promise<{ id: string; key: string; previousKeyValidUntil: string }> => trpc.apiKeys.rotate.mutate({ id }),
    revokeApiKey: (id: string) => trpc.apiKeys.revoke.mutate({ id }),
    notifications: createNotificationsApi(trpc),

    auditEvents: async (input: AuditEventsQuery): Promise<{ events: AuditEvent[]; next: string | null }> => {
      const page = await trpc.audit.events.query(input);
      return { events: page.events.map(auditEvent), next: page.next };
    },
    /** The org's sensors (one page of them), registries and jobs as they stood at a past moment. */
    auditStateAt: (at: string, sensors: { cursor?: string; before?: string; limit: number }) => trpc.audit.stateAt.query({ at, sensors }),
    sensorHistory: (input: { sensorId: string; from: string; until: string }) => trpc.audit.sensorHistory.query(input),
    availability: (input: { from: string; until: string; registryId?: string; cursor?: string; limit?: number }) => trpc.audit.availability.query(input),
    auditVerify: () => trpc.audit.verify.query(),

    // Settings → Access
    me: (): Promise<Me> => trpc.session.me.query(),
    /** People's names, and the names of the sensors asked for (every sensor's without `sensorIds`). */
    actorNames: (sensorIds?: string[]): Promise<ActorNames> => trpc.actors.names.query(sensorIds ? { sensorIds } : undefined),
    listTokens: (): Promise<TokenRow[]> => trpc.tokens.list.query(),
    createToken: (input: { name: string; role: Role; orgId?: string }): Promise<{ id: string; token: string }> => trpc.tokens.create.mutate(input),
    revokeToken: (id: string) => trpc.tokens.revoke.mutate({ id }),
    listSessions: (tokenId: string): Promise<SessionRow[]> => trpc.sessions.list.query({ tokenId }),
    endSession: (id: string) => trpc.sessions.end.mutate({ id }),
    /** Without a token: the caller's own sessions, everywhere. */
    endAllSessions: (tokenId?: string): Promise<{ ended: number }> => trpc.sessions.endAll.mutate(tokenId ? { tokenId } : {}),
    listOrgs: (): Promise<OrgRow[]> => trpc.orgs.list.query(),
    createOrg: (name: string): Promise<{ id: string }> => trpc.orgs.create.mutate({ name }),

    /** The fleet as it changes; after a drop, tRPC resumes from the last id it saw. */
    liveFleet(handlers: LiveFleetHandlers): Subscription {
      return trpc.live.fleet.subscribe(
        {},
        {
          onStarted: () => handlers.onStarted?.(),
          onData: (message) => handlers.onData(message.id, message.data),
          onError: (error) => handlers.onError(error),
        },
      );
    },

    /** One page of sensors, live: changes to the rows named, the org's counts, and when the page is stale. */
    liveView(input: LiveViewInput, handlers: LiveViewHandlers): Subscription {
      return trpc.live.view.subscribe(input, {
        onData: (message) => handlers.onData(message.data),
        onError: (error) => handlers.onError(error),
      });
    },
  };
}

export type Api = ReturnType<typeof createApi>;
