import type { AccessService } from '../app/access-service.js';
import type { SensorService } from '../app/sensor-service.js';
import type { JobService } from '../app/job-service.js';
import type { RegistryService } from '../app/registry-service.js';
import type { HarborGuardOptions } from '../app/harborguard.js';
import type { ReadQueries } from '../projections/read-queries.js';
import type { LiveFeed } from '../projections/live-feed.js';
import type { LiveViews } from '../projections/live-views.js';
import type { NotificationService } from '../notifications/notification-service.js';
import type { AuditQueries } from '../projections/audit-queries.js';
import type { HeapWatch } from '../runtime/heap-watch.js';

/**
 * What the API calls, and nothing more: the routers see these methods of the services and
 * read queries, never the service's wiring. The running HarborGuard satisfies it as it is.
 */
export interface ApiServices {
  /** False until the write model and every actor are rebuilt; the API answers 503 until then. */
  readonly ready: boolean;
  readonly access: Pick<
    AccessService,
    'authenticateSensor' | 'authenticateUser' | 'startSession' | 'endSession' | 'createApiKey' | 'rotateApiKey' | 'revokeApiKey' | 'createToken' | 'listTokens' | 'revokeToken' | 'createOrg'
    // Settings → Access
    | 'me' | 'listSessions' | 'endSessionById' | 'endAllSessions' | 'actorNames' | 'listOrgs'
  >;
  readonly sensors: Pick<SensorService, 'register' | 'heartbeat' | 'quietHeartbeat' | 'poll' | 'report' | 'upload' | 'ackFor' | 'bindRegistry' | 'delete'>;
  readonly jobs: Pick<JobService, 'scanNow' | 'cancel'>;
  readonly registries: Pick<RegistryService, 'create' | 'setSchedule' | 'delete'>;
  readonly queries: Pick<ReadQueries, 'apiKeys' | 'summary' | 'auditEvents' | 'job' | 'jobs' | 'registries' | 'registry' | 'listSensors' | 'sensorDetail' | 'sensorRow' | 'ownSensor'>;
  readonly liveFeed: Pick<LiveFeed, 'subscribe'>;
  /** Live page views: the rows a page shows, and the org's counts. */
  readonly liveViews: Pick<LiveViews, 'subscribe'>;
  readonly notifications: Pick<
    NotificationService,
    'createChannel' | 'updateChannel' | 'deleteChannel' | 'listChannels' | 'testChannel' | 'createRule' | 'deleteRule' | 'listRules' | 'createSilence' | 'deleteSilence' | 'listSilences' | 'deliveries' | 'retry'
  >;
  /** The auditors' history: past states, status intervals, availability, the chain check. */
  readonly audit: Pick<AuditQueries, 'stateAt' | 'sensorHistory' | 'availability' | 'verify' | 'exportEvents'>;
  /** Why new sensors are refused while memory is nearly full (null while they are taken). */
  readonly heapWatch: Pick<HeapWatch, 'reason'>;
  /** The intervals told to sensors in each answer. */
  readonly options: Pick<HarborGuardOptions, 'heartbeatIntervalMs' | 'pollIntervalMs'>;
  /** Read-your-writes: resolves once the read models include everything stored so far. */
  readModelsCurrent(): Promise<void>;
}
