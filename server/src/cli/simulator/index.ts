/** Sensor simulator: simulated agents speaking the sensor wire protocol, for demos, benchmarks and tests. */
export { createClock, type Clock } from './clock.js';
export { DEFAULT_TIMING, type SensorConfig, type SensorFate, type SensorTiming } from './config.js';
export { Fleet, type FleetOptions, type StateCounts } from './fleet.js';
export { AgentClient, type FetchLike, type HttpResult } from './http.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { seededRandom, type Random } from './random.js';
export { SimulatedSensor, type SensorDeps, type SensorState } from './sensor.js';
export { SimStats, type StatsSnapshot } from './stats.js';
