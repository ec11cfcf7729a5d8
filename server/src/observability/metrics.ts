import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HarborGuard } from '../app/harborguard.js';
import { WriteAges } from './write-ages.js';
import { CountedHistogram } from './counted-histogram.js';

export interface ServiceMetricsOptions {
  /** The process defaults (CPU, memory, event loop lag, handles); off for servers embedded in tests. */
  processMetrics?: boolean;
}

/** Seconds, from a millisecond heartbeat to a store outage's worth of waiting. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds past a sensor's deadline: the timer is meant to fire on it, within a second at any fleet size. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export type HeartbeatTransport = 'wire' | 'trpc';

/**
 * The service's Prometheus registry. Gauges read the running service when scraped; histograms
 * and counters are fed by hooks on its event writer, which are attached to each service
 * `getApp` returns, once.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  /** Each transport's series of the heartbeat histogram, bound once: every heartbeat adds to one. */
  private readonly heartbeats: Record<HeartbeatTransport, (seconds: number) => void>;
  /** Requests answered since the request counter was last read, by status class (1xx to 5xx). */
  private readonly unreadRequests = [0, 0, 0, 0, 0];
  private readonly offlineLag: Histogram;
  private readonly appendSeconds: Histogram;
  private readonly appendedEvents: Counter;
  private readonly refusedSensors: Counter;
  private readonly attached = new WeakMap<HarborGuard, WriteAges>();

  constructor(
    private readonly getApp: () => HarborGuard | null,
    options: ServiceMetricsOptions = {},
  ) {
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    // Both are fed by every request: their series are bound once and exist from the start, so rates and alerts see zero rather than nothing.
    // A fleet's most frequent request: counted without prom-client's per-observation label lookup (see CountedHistogram).
    const transports: HeartbeatTransport[] = ['wire', 'trpc'];
    const heartbeats = new CountedHistogram({ name: 'harborguard_heartbeat_duration_seconds', help: 'Time to answer a sensor heartbeat, from request to response.', buckets: LATENCY_BUCKETS, labelName: 'transport', labelValues: transports, registers });
    this.heartbeats = { wire: heartbeats.observer('wire'), trpc: heartbeats.observer('trpc') };
    const unread = this.unreadRequests;
    const requests = new Counter({
      name: 'harborguard_http_requests_total',
      help: 'HTTP requests answered, by status class.',
      labelNames: ['status'],
      registers,
      // A request adds to a plain number; the counter takes the sums whenever it is read.
      collect() {
        unread.forEach((count, at) => {
          if (count > 0) children[at]!.inc(count);
          unread[at] = 0;
        });
      },
    });
    const children = ['1xx', '2xx', '3xx', '4xx', '5xx'].map((status) => requests.labels(status));
    for (const child of children) child.inc(0);
    this.offlineLag = new Histogram({ name: 'harborguard_offline_detection_lag_seconds', help: 'Time a SensorWentOffline event was stored, minus the deadline it names.', buckets: LAG_BUCKETS, registers });
    this.appendSeconds = new Histogram({ name: 'harborguard_append_duration_seconds', help: 'Time to store one append to the event store, retries included; its count is the append rate.', buckets: LATENCY_BUCKETS, registers });
    this.appendedEvents = new Counter({ name: 'harborguard_events_appended_total', help: 'Events this process stored.', registers });
    this.refusedSensors = new Counter({ name: 'harborguard_sensors_refused_memory_total', help: 'New sensors refused because the heap was near its limit.', registers });
    this.defineGauges(registers);
  }

  /** Prometheus text exposition of everything registered. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    this.app();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** One answered HTTP request; `heartbeat` says whether it was a sensor's heartbeat and over which protocol. */
  observeRequest(status: number, seconds: number, heartbeat: HeartbeatTransport | null): void {
    this.unreadRequests[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))]! += 1;
    if (heartbeat && status < 400) this.heartbeats[heartbeat](seconds);
  }

  /** Hooks the service's writer, so appends are measured from the first, even before a request arrives. */
  watch(app: HarborGuard): void {
    if (this.attached.has(app)) return;
    const ages = new WriteAges(() => app.projector.position);
    this.attached.set(app, ages);
    app.writer.appendObserver = (seconds, events) => {
      this.appendSeconds.observe(seconds);
      this.appendedEvents.inc(events);
      ages.written(app.writer.lastPosition);
    };
    app.heapWatch.refusedListener = () => this.refusedSensors.inc();
    app.writer.onStored((events) => {
      for (const event of events) {
        if (event.type !== 'SensorWentOffline') continue;
        const deadline = Date.parse((event.data as { at: string }).at);
        this.offlineLag.observe(Math.max(0, app.clock.now() - deadline) / 1000);
      }
    });
  }

  /** The running service, watched from the first time it is seen. */
  private app(): { app: HarborGuard; ages: WriteAges } | null {
    const app = this.getApp();
    if (!app) return null;
    this.watch(app);
    return { app, ages: this.attached.get(app)! };
  }

  private defineGauges(registers: Registry[]): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    /** Reads the running service; `fallback` while it is starting. */
    const fromApp = (read: (app: HarborGuard, ages: WriteAges) => number, fallback = 0) => () => {
      const current = this.app();
      return current ? read(current.app, current.ages) : fallback;
    };
    gauge('harborguard_ready', 'Whether the service has rebuilt its state and serves requests.', () => (this.getApp()?.ready ? 1 : 0));
    gauge('harborguard_sensor_actors', 'Sensor actors held, awake or at rest (one per sensor).', fromApp((app) => app.supervisor.size));
    gauge('harborguard_sensor_actors_awake', 'Sensor actors running: those of sensors that are not offline (an offline sensor\'s actor rests until it calls).', fromApp((app) => app.supervisor.awake));
    gauge('harborguard_store_position', 'Global position of the last event this process wrote.', fromApp((app) => Number(app.writer.lastPosition ?? 0n)));
    gauge('harborguard_projection_position', 'Global position of the last event in the read models.', fromApp((app) => Number(app.projector.position ?? 0n)));
    gauge(
      'harborguard_projection_lag_positions',
      'How far the read models trail the last write, in store positions.',
      fromApp((app) => {
        const written = app.writer.lastPosition;
        return written === null ? 0 : Math.max(0, Number(written - (app.projector.position ?? 0n)));
      }),
    );
    gauge('harborguard_projection_lag_seconds', 'Age of the oldest write the read models do not include yet; 0 when they are current.', fromApp((_app, ages) => ages.oldestUnprojectedSeconds()));
    gauge('harborguard_memory_refusing_new_sensors', 'Whether new sensors are refused because the heap is near its limit.', fromApp((app) => (app.heapWatch.refusing ? 1 : 0)));
    gauge('harborguard_heap_used_ratio', 'Heap in use as a share of the heap limit, as last read by the memory watch.', fromApp((app) => app.heapWatch.reading().usedBytes / app.heapWatch.reading().limitBytes));
    gauge('harborguard_store_available', 'Whether the event store takes writes (0 while it is away: appends answer 503, transitions are kept).', fromApp((app) => (app.writer.availability.available ? 1 : 0), 1));
    gauge('harborguard_store_backlog_events', 'Events decided but not stored yet: what waits for the event store while it is away.', fromApp((app) => app.writer.availability.backlog));
    gauge('harborguard_store_backlog_over_limit', 'Whether the events waiting for the event store exceed their limit (none is dropped; readiness reports it).', fromApp((app) => (app.writer.availability.backlogOverLimit ? 1 : 0)));
    gauge('harborguard_event_store_healthy', 'Whether the event store takes writes (0 while appends are being retried).', fromApp((app) => (app.writer.storeHealthy ? 1 : 0), 1));
    const sensors = (): Record<string, number> => {
      const counts = { online: 0, scanning: 0, offline: 0 };
      const app = this.app()?.app;
      for (const orgId of app?.readModel.credentials.orgs.keys() ?? []) {
        const summary = app!.readModel.summary(orgId);
        counts.online += summary.online;
        counts.scanning += summary.scanning;
        counts.offline += summary.offline;
      }
      return counts;
    };
    new Gauge({
      name: 'harborguard_sensors',
      help: 'Sensors by status, all orgs.',
      labelNames: ['status'],
      registers,
      collect() {
        for (const [status, n] of Object.entries(sensors())) this.set({ status }, n);
      },
    });
  }
}
