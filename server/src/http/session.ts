import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { Context } from '../api/context.js';
import { countingFailures } from '../api/auth-limiter.js';
import { readJsonBody, sendJson } from '../api/json-body.js';
import { answerRefusal } from '../api/http-answers.js';
import { sessionCookie } from './credentials.js';

export const SESSION_PATH = '/api/session';

const SignIn = z.object({ token: z.string({ error: 'token: is required' }).min(1, 'token: must not be empty').max(200) });

const WEEK_SECONDS = 7 * 24 * 60 * 60;

/** Signs in (POST a token: it is checked, then set as an httpOnly cookie), says who is signed in (GET), signs out (DELETE). */
export async function handleSession(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const app = ctx.app;
    if (!app?.ready) throw new AppError('unavailable', 'Service is starting; retry shortly');
    const secure = req.headers['x-forwarded-proto'] === 'https';
    const authenticate = (authorization: string | undefined) => countingFailures(ctx.authLimiter, ctx.clientAddress, () => app.access.authenticateUser(authorization));
    switch (req.method) {
      case 'POST': {
        const parsed = SignIn.safeParse(await readJsonBody(req));
        if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => i.message).join('; '));
        const user = await authenticate(`Bearer ${parsed.data.token}`);
        res.setHeader('Set-Cookie', sessionCookie(parsed.data.token, WEEK_SECONDS, secure));
        return sendJson(res, 200, { orgId: user.orgId, role: user.role, tokenId: user.tokenId });
      }
      case 'GET': {
        const user = await authenticate(ctx.authorization);
        return sendJson(res, 200, { orgId: user.orgId, role: user.role, tokenId: user.tokenId });
      }
      case 'DELETE':
        res.setHeader('Set-Cookie', sessionCookie('', 0, secure));
        return sendJson(res, 200, { signedOut: true });
      default:
        throw new AppError('not_found', `No route ${req.method} ${SESSION_PATH}`);
    }
  } catch (error) {
    if (!answerRefusal(res, error)) throw error;
  }
}
