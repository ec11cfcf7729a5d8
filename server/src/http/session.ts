import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../domain/errors.js';
import type { HarborGuard } from '../app/harborguard.js';
import { readJsonBody, sendJson } from './body.js';

/** The dashboard's sign-in: the token lives in an httpOnly cookie, out of reach of page scripts. */
export const SESSION_COOKIE = 'hg_session';
export const SESSION_PATH = '/api/session';

const SignIn = z.object({ token: z.string({ error: 'token: is required' }).min(1, 'token: must not be empty').max(200) });

/** The bearer credentials of a request: its Authorization header, else its session cookie. */
export function authorizationOf(req: IncomingMessage): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const token = sessionToken(req.headers.cookie);
  return token === undefined ? undefined : `Bearer ${token}`;
}

function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export async function handleSession(app: HarborGuard | null, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (!app?.ready) throw new AppError('unavailable', 'Service is starting; retry shortly');
    const secure = req.headers['x-forwarded-proto'] === 'https';
    switch (req.method) {
      case 'POST': {
        const parsed = SignIn.safeParse(await readJsonBody(req));
        if (!parsed.success) throw new AppError('bad_request', parsed.error.issues.map((i) => i.message).join('; '));
        const user = app.access.authenticateUser(`Bearer ${parsed.data.token}`);
        res.setHeader('Set-Cookie', cookie(parsed.data.token, 7 * 24 * 60 * 60, secure));
        return sendJson(res, 200, { orgId: user.orgId, role: user.role, tokenId: user.tokenId });
      }
      case 'GET': {
        const user = app.access.authenticateUser(authorizationOf(req));
        return sendJson(res, 200, { orgId: user.orgId, role: user.role, tokenId: user.tokenId });
      }
      case 'DELETE':
        res.setHeader('Set-Cookie', cookie('', 0, secure));
        return sendJson(res, 200, { signedOut: true });
      default:
        throw new AppError('not_found', `No route ${req.method} ${SESSION_PATH}`);
    }
  } catch (error) {
    if (error instanceof AppError) return sendJson(res, error.status, { error: error.message });
    throw error;
  }
}
