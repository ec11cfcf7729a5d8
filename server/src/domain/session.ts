import type { Decider, EventsOf, Evolving } from './decider.js';
import { AppError } from './errors.js';

/**
 * A dashboard session: a person signed in with a token. The browser holds a random session
 * secret (never the token); only its hash is stored. A session ends when the person signs out,
 * when it was unused for the idle limit, at its absolute expiry, or when its token is revoked.
 */
export interface Session {
  id: string;
  tokenId: string;
  orgId: string;
  hash: string;
  address: string;
  userAgent: string | null;
  startedAt: string;
  expiresAt: number;
  endedAt: string | null;
  endReason: string | null;
}

export type SessionEvent = EventsOf<'SessionStarted' | 'SessionEnded'>;

export type SessionCommand =
  | { type: 'StartSession'; sessionId: string; tokenId: string; sessionHash: string; address: string; userAgent?: string | undefined; at: number; maxMs: number }
  | { type: 'EndSession'; reason: string };

/** Why a session cannot be used at `now`, or null when it can. `lastSeenAt`: its last use. */
export function sessionRefusal(session: Session, now: number, lastSeenAt: number, idleMs: number): string | null {
  if (session.endedAt !== null) return 'Session ended; sign in again';
  if (now >= session.expiresAt) return 'Session expired; sign in again';
  if (now - lastSeenAt >= idleMs) return 'Session expired after a time without use; sign in again';
  return null;
}

function decideSession(command: SessionCommand, state: Session | null): SessionEvent[] {
  if (command.type === 'StartSession') {
    if (state) throw new AppError('conflict', `Session ${command.sessionId} already exists`);
    const { sessionId, tokenId, sessionHash, address, userAgent } = command;
    const expiresAt = new Date(command.at + command.maxMs).toISOString();
    return [{ type: 'SessionStarted', data: { sessionId, tokenId, sessionHash, address: address.slice(0, 100), ...(userAgent ? { userAgent: userAgent.slice(0, 300) } : {}), expiresAt } }];
  }
  if (!state || state.endedAt !== null) return [];
  return [{ type: 'SessionEnded', data: { sessionId: state.id, reason: command.reason } }];
}

function evolveSession(state: Session | null, event: Evolving<SessionEvent> & { metadata: { orgId?: unknown } }): Session | null {
  if (event.type === 'SessionStarted') {
    const d = event.data;
    return {
      id: d.sessionId,
      tokenId: d.tokenId,
      orgId: String(event.metadata.orgId),
      hash: d.sessionHash,
      address: d.address,
      userAgent: d.userAgent ?? null,
      startedAt: event.metadata.occurredAt,
      expiresAt: Date.parse(d.expiresAt),
      endedAt: null,
      endReason: null,
    };
  }
  return state && { ...state, endedAt: event.metadata.occurredAt, endReason: event.data.reason };
}

export const sessionDecider: Decider<Session | null, SessionCommand, SessionEvent> = {
  initialState: () => null,
  evolve: evolveSession,
  decide: decideSession,
};
