import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { Context } from '../api/context.js';
import { countingFailures } from '../api/auth-limiter.js';
import { readJsonBody, sendJson } from '../api/json-body.js';
import { answerRefusal } from '../api/http-answers.js';
import { originAllowed, sessionCookie } from './credentials.js';

export const SESSION_PATH = '/api/session';

export interface SessionOptions {
  /** Origins besides the service's own whose pages may sign in. */
  allowedOrigins: readonly string[];
  /** The service is reached over https (HARBORGUARD_PUBLIC_URL): the cookie is always Secure. */
  httpsOnly: boolean;
  now: () => number;
}

const SignIn = z.object({ token: z.string({ error: 'token: is required' }).min(1, 'token: must not be empty').max(200) });

/**
 * Signs in (POST a token as JSON from the service's own pages: a session starts and its secret,
 * never the token, goes into an httpOnly cookie), says who is signed in (GET), and signs out for
 * good (DELETE: the session ends on the server).
 */
export async function handleSession(ctx: Context, req: IncomingMessage, res: ServerResponse, options: SessionOptions): Promise<void> {
  try {
    const app = ctx.app;
    if (!app?.ready) throw new AppError('unavailable', 'Service is starting; retry shortly');
    const secure = options.httpsOnly || (req.socket as TLSSocket).encrypted === true;
    const authenticate = (authorization: string | undefined) => countingFailures(ctx.authLimiter, ctx.clientAddress, () => app.access.authenticateUser(authorization));
    switch (req.method) {
      case 'POST': {
        checkSignInRequest(req, options.allowedOrigins);
        const parsed = SignIn.safeParse(await readJsonBody(req));
        if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => i.message).join('; '));
        const token = parsed.data.token;
        await authenticate(`Bearer ${token}`);
        const { secret, user, expiresAt } = await app.access.startSession(token, { address: ctx.clientAddress, userAgent: req.headers['user-agent'] });
        res.setHeader('Set-Cookie', sessionCookie(secret, Math.max(0, Math.floor((expiresAt - options.now()) / 1000)), secure));
        return sendJson(res, 200, { orgId: user.orgId, role: user.role, tokenId: user.tokenId });
      }
      case 'GET': {
        const user = await authenticate(ctx.authorization);
        return sendJson(res, 200, { orgId: user.orgId, role: user.role, tokenId: user.tokenId });
      }
      case 'DELETE':
        if (ctx.authorization) await app.access.endSession(ctx.authorization).catch(() => undefined);
        res.setHeader('Set-Cookie', sessionCookie('', 0, secure));
        return sendJson(res, 200, { signedOut: true });
      default:
        throw new AppError('not_found', `No route ${req.method} ${SESSION_PATH}`);
    }
  } catch (error) {
    if (!answerRefusal(res, error)) throw error;
  }
}

/** A sign-in is JSON from a page of the service itself: a form on another site cannot sign a browser in. */
function checkSignInRequest(req: IncomingMessage, allowedOrigins: readonly string[]): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new AppError('bad_request', 'Sign in with JSON: Content-Type must be application/json');
  if (!originAllowed(req, allowedOrigins)) throw new AppError('forbidden', 'Sign in from the dashboard itself: this Origin may not start a session');
}
