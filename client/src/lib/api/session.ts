import type { Role, Whoami } from '@harborguard/shared';

/** The dashboard's sign-in: the server keeps the token in an httpOnly cookie. */
const SESSION_URL = '/api/session';

async function errorOf(response: Response): Promise<Error> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON: keep the status line.
  }
  return Object.assign(new Error(message), { data: { code: response.status === 401 ? 'UNAUTHORIZED' : 'HTTP_ERROR', httpStatus: response.status } });
}

export async function signIn(token: string): Promise<Whoami> {
  const response = await fetch(SESSION_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: token.trim() }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as Whoami;
}

/** Who is signed in, or null when nobody is (or the token was revoked). */
export async function currentSession(): Promise<Whoami | null> {
  const response = await fetch(SESSION_URL, { credentials: 'same-origin' });
  if (response.status === 401) return null;
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as Whoami;
}

export async function signOut(): Promise<void> {
  const response = await fetch(SESSION_URL, { method: 'DELETE', credentials: 'same-origin' });
  if (!response.ok) throw await errorOf(response);
}

const RANK: Record<Role, number> = { auditor: 0, operator: 1, admin: 2 };

/** Whether a role may do what `needed` may: auditor < operator < admin. */
export function hasRole(role: Role | undefined | null, needed: Role): boolean {
  return role !== undefined && role !== null && RANK[role] >= RANK[needed];
}

/**
 * A session that ended under the user (revoked, signed out elsewhere) is noted for this tab until
 * the next sign-in, so the sign-in page says why even when another redirect lands after the one
 * that carried the notice.
 */
const ENDED_KEY = 'harborguard:session-ended';

export function noteSessionEnded(): void {
  sessionStorage.setItem(ENDED_KEY, '1');
}

export function sessionEndedNoted(): boolean {
  return sessionStorage.getItem(ENDED_KEY) !== null;
}

export function clearSessionEnded(): void {
  sessionStorage.removeItem(ENDED_KEY);
}
