import type { EventStore, RecordedEvent } from '@harborguard/eventstore';
import { modelEventOf } from '../domain/model-event.js';
import { ReadModels } from '../projections/read-models.js';
import { SensorSupervisor } from '../actors/sensor-supervisor.js';
import { systemClock, type Clock } from '../core/clock.js';
import { EventWriter } from '../core/event-writer.js';
import { KeyedSerializer } from '../core/keyed-serializer.js';
import { StreamStates } from '../core/stream-states.js';
import { CommandHandler } from './command-handler.js';
import { WriteIndexes } from './write-indexes.js';
import type { Services } from './services.js';
import { AccessService } from './access-service.js';
import { RegistryService } from './registry-service.js';
import { JobService } from './job-service.js';
import { SensorService } from './sensor-service.js';
import { Reactions } from './reactions.js';
import { RegistryScheduler } from './scheduler.js';
import { ContactCheckpoints } from './contact-checkpoints.js';
import { JobTimeouts } from './job-timeouts.js';
import { MemoryReadModelStore, type ReadModelStore } from '../projections/read-model-store.js';
import { Projector } from '../projections/projector.js';
import { ReadQueries } from '../projections/read-queries.js';
import { LiveFeed } from '../projections/live-feed.js';
import { LiveViews, type LiveViewOptions } from '../projections/live-views.js';
import { randomBytes } from 'node:crypto';
import { Notifier, notifierOptions, type NotificationSettings } from '../notifications/notifier.js';
import { NotificationService } from '../notifications/notification-service.js';
import { SecretBox } from '../notifications/secret-box.js';
import { AuditQueries, sensorsOfOrg } from '../projections/audit-queries.js';
import { AuditAnchors } from '../core/audit-anchors.js';
import { HeapWatch } from '../runtime/heap-watch.js';
import { StoreAvailability } from '../core/store-availability.js';

export interface HarborGuardOptions {
  store: EventStore;
  clock?: Clock;
  offlineAfterMs: number;
  heartbeatIntervalMs: number;
  pollIntervalMs: number;
  keyRotationGraceMs: number;
  /** Dashboard sessions end after this long unused, and this long after sign-in at most. */
  sessionIdleMs?: number;
  sessionMaxMs?: number;
  /** How many sensors one org may have; unlimited when unset. */
  maxSensorsPerOrg?: number;
  adminToken?: string | undefined;
  log?: (line: string) => void;
  /** Where the generated admin token is shown, once. Defaults to the console. */
  showAdminToken?: (token: string) => void;
  /** Where read models are kept between runs; in memory (rebuilt at each start) by default. */
  readModelStore?: ReadModelStore;
  /** How often last contacts are checkpointed (default 15 s). */
  contactCheckpointMs?: number;
  /** A job running longer than this fails "timed out" (default 1 h). */
  jobTimeoutMs?: number;
  /** Channel secrets' key, retry schedule, storm thresholds, the dashboard's public address. */
  notifications?: NotificationSettings;
  /** How often the log is anchored for tamper evidence (only when something was stored since); unset or 0: never on a timer. */
  auditAnchorIntervalMs?: number;
  /** Refuses new sensors while the heap is nearly full; one reading the real heap by default. */
  heapWatch?: HeapWatch;
  /** Events kept for an event store that is away before readiness reports the backlog (default 200 000). */
  storeBacklogLimit?: number;
  /** How often live page views send last contacts and counts (defaults: 5 s and 1 s). */
  liveViews?: LiveViewOptions;
}

const REBUILD_PAGE = 5_000;
/** How long stopping waits for the read models to take in the last writes. */
const STOP_CATCH_UP_MS = 5_000;

const DEFAULT_SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
const DEFAULT_SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;

/** The composition root: write model, actors, the services that change them, and the read side. */
export class HarborGuard {
  /** The write model: each stream's state as its decider sees it. */
  readonly states = new StreamStates();
  readonly indexes = new WriteIndexes(this.states);
  readonly clock: Clock;
  readonly writer: EventWriter;
  readonly locks = new KeyedSerializer();
  readonly supervisor: SensorSupervisor;
  readonly access: AccessService;
  readonly registries: RegistryService;
  readonly jobs: JobService;
  readonly sensors: SensorService;
  readonly reactions: Reactions;
  readonly scheduler: RegistryScheduler;
  readonly contactCheckpoints: ContactCheckpoints;
  readonly jobTimeouts: JobTimeouts;
  /** The read models: named projections of the log, fed by the projector, their changes stored. */
  readonly readModel = new ReadModels();
  readonly projector: Projector;
  readonly queries: ReadQueries;
  readonly liveFeed: LiveFeed;
  /** Live page views: changes to the rows a dashboard page shows, and the org's counts. */
  readonly liveViews: LiveViews;
  /** Notifications: a checkpointed consumer of the log sending to each org's channels. */
  readonly notifier: Notifier;
  readonly notifications: NotificationService;
  /** The auditors' history, replayed from the log. */
  readonly audit: AuditQueries;
  /** Commits the log's digest into it now and then, so cuts and reorders show (see `core/audit-anchors.ts`). */
  readonly anchors: AuditAnchors;
  readonly heapWatch: HeapWatch;
  /** True once the write model and every actor are rebuilt. */
  ready = false;
  private readonly log: (line: string) => void;

  private constructor(readonly options: HarborGuardOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.writer = new EventWriter(options.store, this.states, this.log);
    this.writer.availability = new StoreAvailability({ clock: this.clock, ping: () => options.store.ping(), log: this.log, ...(options.storeBacklogLimit === undefined ? {} : { backlogLimit: options.storeBacklogLimit }) });
    this.supervisor = new SensorSupervisor({ writer: this.writer, states: this.states, clock: this.clock, offlineAfterMs: options.offlineAfterMs, log: this.log });
    const services: Services = {
      states: this.states,
      indexes: this.indexes,
      handler: new CommandHandler(this.states, this.writer),
      writer: this.writer,
      locks: this.locks,
      supervisor: this.supervisor,
      clock: this.clock,
    };
    this.access = new AccessService(services, options.keyRotationGraceMs, {
      idleMs: options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS,
      maxMs: options.sessionMaxMs ?? DEFAULT_SESSION_MAX_MS,
    });
    this.registries = new RegistryService(services);
    this.jobs = new JobService(services, this.registries);
    this.heapWatch = options.heapWatch ?? new HeapWatch({ onChange: (atLimit) => this.log(atLimit ? this.heapWatch.reason()! : 'memory back below its limit: new sensors are taken again') });
    this.sensors = new SensorService(services, this.jobs, this.registries, options.maxSensorsPerOrg ?? Number.POSITIVE_INFINITY, this.heapWatch);
    this.reactions = new Reactions(services, this.jobs, this.registries, this.log);
    this.scheduler = new RegistryScheduler(services, this.jobs, this.log);
    this.contactCheckpoints = new ContactCheckpoints(services, options.contactCheckpointMs ?? 15_000, this.log);
    this.jobTimeouts = new JobTimeouts(services, this.jobs, options.jobTimeoutMs ?? 60 * 60 * 1000, this.log);
    const readModelStore = options.readModelStore ?? new MemoryReadModelStore();
    this.projector = new Projector(options.store, this.readModel, readModelStore, { log: this.log });
    this.queries = new ReadQueries(this.readModel, options.store, (id) => this.supervisor.live(id), () => this.clock.now());
    this.liveFeed = new LiveFeed(this.readModel, this.queries);
    this.audit = new AuditQueries(options.store, sensorsOfOrg(this.readModel));
    this.anchors = new AuditAnchors(options.store, this.writer, this.clock, {
      intervalMs: options.auditAnchorIntervalMs ?? 0,
      serialize: (task) => this.locks.run('audit-anchors', task),
      log: this.log,
    });
    this.projector.onChange((changes, event) => this.liveFeed.onRowChanges(changes, event));
    this.supervisor.contactListener = (id) => this.liveFeed.onContact(id);
    this.liveViews = new LiveViews(this.readModel, this.queries, options.liveViews);
    this.projector.onChange((changes, event) => this.liveViews.onRowChanges(changes, event));
    const secretBox = new SecretBox(options.notifications?.secretKey ?? randomBytes(32));
    this.notifier = new Notifier(options.store, this.writer, this.states, this.clock, this.log, notifierOptions(options.notifications ?? {}, secretBox));
    this.notifications = new NotificationService(services.handler, this.states, this.clock, secretBox, this.notifier.deliverer);
  }

  /** Read-your-writes: resolves once the read models include everything stored so far. */
  readModelsCurrent(): Promise<void> {
    return this.projector.waitFor(this.writer.lastPosition);
  }

  static create(options: HarborGuardOptions): HarborGuard {
    return new HarborGuard(options);
  }

  /**
   * Rebuilds the write model from the log, restores every actor with a full offline window
   * from now, settles what a crash left half done, then starts reacting and scheduling.
   */
  async start(): Promise<void> {
    this.heapWatch.start();
    const events = await this.rebuild();
    const bootAt = this.clock.now();
    this.supervisor.restoreAll(bootAt);
    this.writer.onStored((stored) => this.reactions.handle(stored));
    this.writer.onStored((stored) => this.scheduler.handle(stored));
    this.writer.onStored((stored) => this.jobTimeouts.handle(stored));
    const { generatedAdminToken } = await this.access.bootstrap(this.options.adminToken);
    if (generatedAdminToken) (this.options.showAdminToken ?? showOnConsole)(generatedAdminToken);
    await this.reactions.reconcile(bootAt);
    await this.projector.start();
    await this.notifier.start();
    this.scheduler.startAll();
    this.jobTimeouts.startAll();
    this.contactCheckpoints.start();
    this.anchors.start();
    this.ready = true;
    this.log(`rebuilt ${events} events: ${this.supervisor.size} sensors`);
  }

  /** Resolves when every write and reaction started so far has finished. */
  async settled(): Promise<void> {
    do {
      await this.writer.settled();
      await this.locks.drained();
    } while (this.locks.busy);
    await this.readModelsCurrent();
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.heapWatch.stop();
    this.scheduler.stopAll();
    this.jobTimeouts.stopAll();
    await this.contactCheckpoints.stop();
    this.anchors.stop();
    this.supervisor.stopAll();
    if (this.writer.availability.available) await this.settled();
    else {
      // Kept writes wait for a store that is away; stopping cannot wait for it. They are lost with
      // the process, and every sensor gets a full threshold at the next start.
      this.log(`stopping while the event store is unavailable: ${this.writer.availability.backlog} kept events are not stored`);
    }
    await this.notifier.stop();
    this.liveFeed.close();
    this.liveViews.close();
    // The read models take in everything stored before they are saved with their checkpoint,
    // however busy the machine: a start right after has nothing to catch up.
    await this.projector.waitFor(this.writer.lastPosition, STOP_CATCH_UP_MS);
    await this.projector.stop();
    this.writer.availability.stop();
  }

  private async rebuild(): Promise<number> {
    let from: bigint | 'start' = 'start';
    let count = 0;
    for (;;) {
      // Reads are inclusive of their start: continue from the last event applied and skip it.
      const page: RecordedEvent[] = await this.options.store.readAll({ fromPosition: from, maxCount: REBUILD_PAGE });
      const fresh = from === 'start' ? page : page.filter((event) => event.position !== from);
      for (const event of fresh) this.states.apply(modelEventOf(event));
      count += fresh.length;
      if (page.length < REBUILD_PAGE) return count;
      from = page[page.length - 1]!.position;
    }
  }
}

function showOnConsole(token: string): void {
  // Straight to the terminal, once; never through the log.
  process.stdout.write(
    `\nHarborGuard admin token (shown once, store it now):\n\n    ${token}\n\nSign in to the dashboard with it, or pass it as "Authorization: Bearer <token>".\n\n`,
  );
}
