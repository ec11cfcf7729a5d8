import type { ApiServices } from './services.js';
import type { FailedAuthLimiter } from './auth-limiter.js';

/** What every procedure and wire route knows of its caller and of the service. */
export interface Context {
  /** Null while the service is still starting. */
  app: ApiServices | null;
  /** Bearer credentials: the Authorization header, the WebSocket connection params, or the session cookie. */
  authorization: string | undefined;
  /** The client's network address, against which failed authentications are counted. */
  clientAddress: string;
  authLimiter: FailedAuthLimiter;
}
