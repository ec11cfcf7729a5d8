import type { SessionRow } from '@harborguard/shared';
import { sessionRefusal, type Session } from '../domain/session.js';
import type { StreamStates } from '../core/stream-states.js';
import { dayOf, TokenUsage } from './token-usage.js';

/** What the sessions of one token add up to at a moment. */
export interface SessionSummary {
  active: number;
  /** The latest day a session of the token started or was used. */
  lastDay: string | null;
}

/**
 * Dashboard sessions as they are used: when each was last seen (in memory: after a restart a
 * session's idle time starts again) and which can still be used. Also remembers the day each
 * token was last used.
 */
export class SessionBook {
  private readonly lastSeen = new Map<string, number>();
  private readonly usage = new TokenUsage();

  constructor(
    private readonly states: StreamStates,
    private readonly idleMs: number,
  ) {}

  /** A use of a session at `at`. */
  seen(session: Pick<Session, 'id' | 'tokenId'>, at: number): void {
    this.lastSeen.set(session.id, at);
    this.usage.used(session.tokenId, at);
  }

  /** A use of a token without a session (a script's bearer token). */
  tokenUsed(tokenId: string, at: number): void {
    this.usage.used(tokenId, at);
  }

  forget(sessionId: string): void {
    this.lastSeen.delete(sessionId);
  }

  /** Why the session cannot be used at `now`, or null when it can. */
  refusal(session: Session, now: number): string | null {
    return sessionRefusal(session, now, this.lastSeen.get(session.id) ?? now, this.idleMs);
  }

  /** The sessions of an org (and of one token, when given) that can still be used at `now`. */
  open(orgId: string, now: number, tokenId?: string): Session[] {
    const sessions: Session[] = [];
    for (const session of this.states.all('session')) {
      if (session.orgId !== orgId || (tokenId !== undefined && session.tokenId !== tokenId)) continue;
      if (this.refusal(session, now) === null) sessions.push(session);
    }
    return sessions.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** Per token of an org: how many sessions are open and the latest day one was used. */
  summaries(orgId: string, now: number): Map<string, SessionSummary> {
    const out = new Map<string, SessionSummary>();
    for (const session of this.states.all('session')) {
      if (session.orgId !== orgId) continue;
      const summary = out.get(session.tokenId) ?? { active: 0, lastDay: null };
      const day = dayOf(this.lastSeen.get(session.id) ?? session.startedAt);
      if (summary.lastDay === null || day > summary.lastDay) summary.lastDay = day;
      if (this.refusal(session, now) === null) summary.active++;
      out.set(session.tokenId, summary);
    }
    return out;
  }

  /** The day a token was last used: by a request seen since start, or by one of its sessions. */
  lastUsedOn(tokenId: string, summary: SessionSummary | undefined): string | null {
    return this.usage.lastUsedOn(tokenId, summary?.lastDay ?? null);
  }

  row(session: Session, currentSessionId: string | undefined): SessionRow {
    const lastSeenAt = this.lastSeen.get(session.id);
    return {
      id: session.id,
      tokenId: session.tokenId,
      startedAt: session.startedAt,
      address: session.address,
      userAgent: session.userAgent,
      lastSeenAt: lastSeenAt === undefined ? session.startedAt : new Date(lastSeenAt).toISOString(),
      expiresAt: new Date(session.expiresAt).toISOString(),
      current: session.id === currentSessionId,
    };
  }
}
