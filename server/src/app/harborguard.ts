import type { EventStore, RecordedEvent } from '@harborguard/eventstore';
import { FleetModel, modelEventOf } from '../domain/fleet-model.js';
import { ReadModels } from '../projections/read-models.js';
import { SensorSupervisor } from '../actors/sensor-supervisor.js';
import { systemClock, type Clock } from '../core/clock.js';
import { EventWriter } from './event-writer.js';
import { KeyedSerializer } from './serializer.js';
import { AccessService } from './access-service.js';
import { RegistryService } from './registry-service.js';
import { JobService } from './job-service.js';
import { SensorService } from './sensor-service.js';
import { Reactions } from './reactions.js';
import { RegistryScheduler } from './scheduler.js';
import { MemoryReadModelStore, type ReadModelStore } from '../projections/read-model-store.js';
import { Projector } from '../projections/projector.js';
import { ReadQueries } from '../projections/read-queries.js';
import { LiveFeed } from '../projections/live-feed.js';

export interface HarborGuardOptions {
  store: EventStore;
  clock?: Clock;
  offlineAfterMs: number;
  heartbeatIntervalMs: number;
  pollIntervalMs: number;
  keyRotationGraceMs: number;
  adminToken?: string | undefined;
  log?: (line: string) => void;
  /** Where the generated admin token is shown, once. Defaults to the console. */
  showAdminToken?: (token: string) => void;
  /** Where read models are kept between runs; in memory (rebuilt at each start) by default. */
  readModelStore?: ReadModelStore;
}

const REBUILD_PAGE = 5_000;

/** The service's core, wired: write model, actors, and the services that change them. */
export class HarborGuard {
  readonly state = new FleetModel();
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
  /** The read models: named projections of the log, fed by the projector, their changes stored. */
  readonly readModel = new ReadModels();
  readonly projector: Projector;
  readonly queries: ReadQueries;
  readonly liveFeed: LiveFeed;
  /** True once the write model and every actor are rebuilt. */
  ready = false;
  private readonly log: (line: string) => void;

  private constructor(readonly options: HarborGuardOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? ((line) => console.error(line));
    this.writer = new EventWriter(options.store, this.state, this.log);
    this.supervisor = new SensorSupervisor({ writer: this.writer, state: this.state, clock: this.clock, offlineAfterMs: options.offlineAfterMs, log: this.log });
    this.access = new AccessService(this.state, this.writer, this.clock, options.keyRotationGraceMs);
    this.registries = new RegistryService(this.state, this.writer, this.locks, this.clock);
    this.jobs = new JobService(this.state, this.writer, this.locks, this.supervisor, this.registries, this.clock);
    this.sensors = new SensorService(this.state, this.writer, this.locks, this.supervisor, this.jobs, this.registries, this.clock);
    this.reactions = new Reactions(this.state, this.jobs, this.registries, this.log);
    this.scheduler = new RegistryScheduler(this.state, this.jobs, this.clock, this.log);
    const readModelStore = options.readModelStore ?? new MemoryReadModelStore();
    this.projector = new Projector(options.store, this.readModel, readModelStore, { log: this.log });
    this.queries = new ReadQueries(this.readModel, options.store, (id) => this.supervisor.live(id), () => this.clock.now());
    this.liveFeed = new LiveFeed(this.readModel, this.queries);
    this.projector.onChange((changes, event) => this.liveFeed.onRowChanges(changes, event));
    this.supervisor.contactListener = (id) => this.liveFeed.onContact(id);
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
    const events = await this.rebuild();
    const bootAt = this.clock.now();
    this.supervisor.restoreAll(bootAt);
    this.writer.onStored((stored) => this.reactions.handle(stored));
    this.writer.onStored((stored) => this.scheduler.handle(stored));
    const { generatedAdminToken } = await this.access.bootstrap(this.options.adminToken);
    if (generatedAdminToken) (this.options.showAdminToken ?? showOnConsole)(generatedAdminToken);
    await this.reactions.reconcile(bootAt, (id) => this.supervisor.live(id));
    await this.projector.start();
    this.scheduler.startAll();
    this.ready = true;
    this.log(`rebuilt ${events} events: ${this.supervisor.size} sensors, ${this.state.registries.size} registries, ${this.state.jobs.size} jobs`);
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
    this.scheduler.stopAll();
    this.supervisor.stopAll();
    await this.settled();
    this.liveFeed.close();
    await this.projector.stop();
  }

  private async rebuild(): Promise<number> {
    let from: bigint | 'start' = 'start';
    let count = 0;
    for (;;) {
      // Reads are inclusive of their start: continue from the last event applied and skip it.
      const page: RecordedEvent[] = await this.options.store.readAll({ fromPosition: from, maxCount: REBUILD_PAGE });
      const fresh = from === 'start' ? page : page.filter((event) => event.position !== from);
      for (const event of fresh) this.state.apply(modelEventOf(event));
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
