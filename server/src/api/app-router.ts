import { router } from './trpc.js';
import { agentRouter } from './routers/agent.js';
import { apiKeysRouter } from './routers/api-keys.js';
import { registriesRouter } from './routers/registries.js';
import { sensorsRouter } from './routers/sensors.js';
import { jobsRouter } from './routers/jobs.js';
import { orgsRouter, sessionRouter, tokensRouter } from './routers/access.js';
import { actorsRouter, sessionsRouter } from './routers/access.js';
import { auditRouter, fleetRouter, liveRouter } from './routers/fleet.js';
import { notificationsRouter } from './routers/notifications.js';

export const appRouter = router({
  agent: agentRouter,
  apiKeys: apiKeysRouter,
  registries: registriesRouter,
  sensors: sensorsRouter,
  jobs: jobsRouter,
  tokens: tokensRouter,
  orgs: orgsRouter,
  session: sessionRouter,
  fleet: fleetRouter,
  audit: auditRouter,
  live: liveRouter,
  notifications: notificationsRouter,
  sessions: sessionsRouter,
  actors: actorsRouter,
});

export type AppRouter = typeof appRouter;
