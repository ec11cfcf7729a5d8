import type { IncomingMessage } from 'node:http';
import { decodeComponent } from '../api/http-answers.js';

/** The dashboard's sign-in: the token lives in an httpOnly cookie, out of reach of page scripts. */
export const SESSION_COOKIE = 'hg_session';

export interface Credentials {
  /** `Bearer <secret>`, or undefined when the request carries none. */
  authorization: string | undefined;
  /** True when the secret came from the session cookie, which a browser attaches on its own. */
  fromCookie: boolean;
}

/** The bearer credentials of a request: its Authorization header, else its session cookie. */
export function credentialsOf(req: IncomingMessage): Credentials {
  if (req.headers.authorization) return { authorization: req.headers.authorization, fromCookie: false };
  const token = sessionToken(req.headers.cookie);
  return token === undefined ? { authorization: undefined, fromCookie: false } : { authorization: `Bearer ${token}`, fromCookie: true };
}

/** Throws a 400 when the session cookie is not valid percent-encoding. */
function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return decodeComponent(value.join('='), `Cookie ${SESSION_COOKIE}`);
  }
  return undefined;
}

export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/**
 * Whether a browser page at the request's Origin may act with the session cookie: the
 * service's own origin (same host and port as the request was sent to) or one listed in
 * HARBORGUARD_ALLOWED_ORIGINS. A request without an Origin is not from a page and is refused
 * too, as it cannot prove where it comes from.
 */
export function originAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
