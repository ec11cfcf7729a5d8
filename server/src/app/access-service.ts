import { randomUUID } from 'node:crypto';
import type { ActorNames, Me, OrgRow, Role, SessionRow, TokenRow } from '@harborguard/shared';
import { apiKeyDecider, checkApiKey, checkToken, checkTokenOrg, DEFAULT_ORG_ID, orgDecider, tokenDecider } from '../domain/credentials.js';
import { AppError } from '../domain/errors.js';
import { sessionDecider, type Session } from '../domain/session.js';
import { apiKeyStream, orgStream, sessionStream, tokenStream } from '../domain/streams.js';
import type { WriteContext } from '../core/event-writer.js';
import type { Services } from './services.js';
import { newApiKey, newSessionSecret, newUserToken, SESSION_SECRET_PREFIX, secretPrefix, sha256Hex } from './secrets.js';
import { actorOf, hasRole, type SensorPrincipal, type UserPrincipal } from './principal.js';
import { SessionBook } from './session-book.js';
import { LRUCache } from 'lru-cache';

export type TokenView = TokenRow;

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const BOOTSTRAP = { kind: 'system', id: 'bootstrap' } as const;

/** Reads the bearer secret of an Authorization header, or explains what is wrong with it. */
export function bearerSecret(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new AppError('unauthorized', 'Missing Authorization header');
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AppError('unauthorized', 'Authorization header must be "Bearer <key>"');
  return match[1];
}

/** What is remembered of an Authorization header that carried a valid API key. */
interface VerifiedKey {
  hash: string;
  keyId: string;
}

/** Headers remembered at most: orgs have a few keys each, a key is one header. */
const VERIFIED_KEYS_KEPT = 10_000;

/** How long a dashboard session lasts: unused, and at most. */
export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

/** Where a sign-in came from, for the audit trail. */
export interface SignInOrigin {
  address: string;
  userAgent?: string | undefined;
}

/** Orgs, user tokens, dashboard sessions and sensor API keys: who may call what. */
export class AccessService {
  /** Sessions as they are used, and the day each token was last used. */
  private readonly sessions: SessionBook;
  /** Authorization headers that carried a valid API key: a digest per request is the key check's main cost. */
  private readonly verifiedKeys = new LRUCache<string, VerifiedKey>({ max: VERIFIED_KEYS_KEPT });

  constructor(
    private readonly services: Services,
    private readonly keyRotationGraceMs: number,
    private readonly sessionLimits: SessionLimits,
  ) {
    this.sessions = new SessionBook(services.states, sessionLimits.idleMs);
  }

  /**
   * First start: the default org and an admin token. The token is the configured one, or a
   * generated one returned so the caller can show it once. A newly configured token replaces
   * the bootstrap tokens before it: they are revoked.
   */
  async bootstrap(configuredAdminToken: string | undefined): Promise<{ generatedAdminToken: string | null }> {
    const { handler, states, indexes, clock } = this.services;
    const context: WriteContext = { orgId: DEFAULT_ORG_ID, actor: BOOTSTRAP, at: clock.now() };
    await handler.handle(orgStream(DEFAULT_ORG_ID), orgDecider, { type: 'CreateOrg', orgId: DEFAULT_ORG_ID, name: 'default', byOrgId: DEFAULT_ORG_ID }, context);
    if (configuredAdminToken !== undefined && indexes.tokenIdOf(sha256Hex(configuredAdminToken)) !== undefined) return { generatedAdminToken: null };
    if (configuredAdminToken === undefined && [...states.all('token')].some((t) => t.orgId === DEFAULT_ORG_ID && t.role === 'admin' && !t.revoked)) {
      return { generatedAdminToken: null };
    }
    const secret = configuredAdminToken ?? newUserToken();
    const tokenId = randomUUID();
    await handler.handle(
      tokenStream(tokenId),
      tokenDecider,
      { type: 'CreateToken', tokenId, orgId: DEFAULT_ORG_ID, name: 'admin', role: 'admin', tokenHash: sha256Hex(secret), bootstrap: true },
      context,
    );
    if (configuredAdminToken !== undefined) await this.revokeBootstrapTokensBut(tokenId, context);
    return { generatedAdminToken: configuredAdminToken === undefined ? secret : null };
  }

  private async revokeBootstrapTokensBut(keptId: string, context: WriteContext): Promise<void> {
    const { handler, states } = this.services;
    const replaced = [...states.all('token')].filter((t) => t.bootstrap && !t.revoked && t.id !== keptId);
    for (const token of replaced) {
      const command = { type: 'RevokeToken', tokenId: token.id, orgId: token.orgId, reason: 'replaced by a newly configured HARBORGUARD_ADMIN_TOKEN' } as const;
      await handler.handle(tokenStream(token.id), tokenDecider, command, context);
    }
  }

  /**
   * A sensor by its API key. The key's current state is checked on every call, so a revoked
   * key is refused at once and a replaced one once its grace period ends; what is remembered
   * of a header seen before is only its digest and key id, which never change.
   */
  authenticateSensor(authorization: string | undefined): SensorPrincipal {
    const seen = authorization === undefined ? undefined : this.verifiedKeys.get(authorization);
    const hash = seen?.hash ?? sha256Hex(bearerSecret(authorization));
    const keyId = seen?.keyId ?? this.services.indexes.apiKeyIdOf(hash);
    const key = keyId === undefined ? undefined : (this.services.states.state('apikey', keyId) ?? undefined);
    const accepted = checkApiKey(key, hash, this.services.clock.now());
    if (!seen) this.verifiedKeys.set(authorization!, { hash, keyId: accepted.id });
    return { kind: 'sensor', orgId: accepted.orgId, apiKeyId: accepted.id };
  }

  /** A person, by a bearer token or a dashboard session secret. */
  authenticateUser(authorization: string | undefined): UserPrincipal {
    const secret = bearerSecret(authorization);
    if (secret.startsWith(SESSION_SECRET_PREFIX)) return this.authenticateSession(secret);
    const user = this.userOf(this.services.indexes.tokenIdOf(sha256Hex(secret)));
    this.sessions.tokenUsed(user.tokenId, this.services.clock.now());
    return user;
  }

  /** Signs in with a token: a new session, whose secret is returned once (for the browser's cookie). */
  async startSession(token: string, origin: SignInOrigin): Promise<{ secret: string; user: UserPrincipal; expiresAt: number }> {
    const user = this.authenticateUser(`Bearer ${token}`);
    const secret = newSessionSecret();
    const sessionId = randomUUID();
    const context: WriteContext = { orgId: user.orgId, actor: actorOf(user), at: this.services.clock.now() };
    const command = { type: 'StartSession', sessionId, tokenId: user.tokenId, sessionHash: sha256Hex(secret), ...origin, at: context.at, maxMs: this.sessionLimits.maxMs } as const;
    const { state } = await this.services.handler.handle(sessionStream(sessionId), sessionDecider, command, context);
    this.sessions.seen(state!, context.at);
    return { secret, user, expiresAt: state!.expiresAt };
  }

  /** Signs out for good: the session's secret no longer lets anyone in. */
  async endSession(authorization: string | undefined): Promise<void> {
    const session = this.sessionOf(bearerSecret(authorization));
    if (!session) return;
    const context: WriteContext = { orgId: session.orgId, actor: { kind: 'user', id: session.tokenId }, at: this.services.clock.now() };
    await this.end(session, 'signed out', context);
  }

  private async end(session: Session, reason: string, context: WriteContext): Promise<void> {
    await this.services.handler.handle(sessionStream(session.id), sessionDecider, { type: 'EndSession', reason }, context);
    this.sessions.forget(session.id);
  }

  private authenticateSession(secret: string): UserPrincipal {
    const session = this.sessionOf(secret);
    if (!session) throw new AppError('unauthorized', 'Invalid session; sign in again');
    const now = this.services.clock.now();
    const refusal = this.sessions.refusal(session, now);
    if (refusal) {
      if (session.endedAt === null) this.expire(session);
      throw new AppError('unauthorized', refusal);
    }
    const user = this.userOf(session.tokenId);
    this.sessions.seen(session, now);
    return { ...user, sessionId: session.id };
  }

  /** Records the end of a session found expired (once; the request is refused either way). */
  private expire(session: Session): void {
    const context: WriteContext = { orgId: session.orgId, actor: { kind: 'system', id: 'sessions' }, at: this.services.clock.now() };
    this.sessions.forget(session.id);
    void this.services.handler.handle(sessionStream(session.id), sessionDecider, { type: 'EndSession', reason: 'expired' }, context).catch(() => undefined);
  }

  private sessionOf(secret: string): Session | null {
    const id = this.services.indexes.sessionIdOf(sha256Hex(secret));
    return id === undefined ? null : this.services.states.state('session', id);
  }

  private userOf(tokenId: string | undefined): UserPrincipal {
    const token = checkToken(tokenId === undefined ? undefined : (this.services.states.state('token', tokenId) ?? undefined));
    return { kind: 'user', orgId: token.orgId, tokenId: token.id, role: token.role };
  }

  async createApiKey(principal: UserPrincipal, name: string): Promise<{ id: string; key: string }> {
    const id = randomUUID();
    const key = newApiKey();
    const command = { type: 'CreateApiKey', apiKeyId: id, orgId: principal.orgId, name, keyHash: sha256Hex(key), keyPrefix: secretPrefix(key) } as const;
    await this.services.handler.handle(apiKeyStream(id), apiKeyDecider, command, this.context(principal));
    return { id, key };
  }

  /** A new key; the old one keeps working for the grace period so sensors can be moved over. */
  async rotateApiKey(principal: UserPrincipal, id: string): Promise<{ id: string; key: string; previousKeyValidUntil: string }> {
    const key = newApiKey();
    const context = this.context(principal);
    const command = { type: 'RotateApiKey', apiKeyId: id, orgId: principal.orgId, keyHash: sha256Hex(key), keyPrefix: secretPrefix(key), at: context.at, graceMs: this.keyRotationGraceMs } as const;
    const { state } = await this.services.handler.handle(apiKeyStream(id), apiKeyDecider, command, context);
    return { id, key, previousKeyValidUntil: new Date(state!.previous!.validUntil).toISOString() };
  }

  async revokeApiKey(principal: UserPrincipal, id: string): Promise<{ id: string; revoked: true }> {
    await this.services.handler.handle(apiKeyStream(id), apiKeyDecider, { type: 'RevokeApiKey', apiKeyId: id, orgId: principal.orgId }, this.context(principal));
    return { id, revoked: true };
  }

  async createToken(principal: UserPrincipal, input: { role: Role; name: string; orgId?: string | undefined }): Promise<{ id: string; token: string }> {
    const orgId = input.orgId ?? principal.orgId;
    checkTokenOrg(principal.orgId, orgId, this.services.states.state('org', orgId) !== null);
    const id = randomUUID();
    const token = newUserToken();
    const command = { type: 'CreateToken', tokenId: id, orgId, name: input.name, role: input.role, tokenHash: sha256Hex(token) } as const;
    await this.services.handler.handle(tokenStream(id), tokenDecider, command, this.context(principal, orgId));
    return { id, token };
  }

  listTokens(principal: UserPrincipal): TokenView[] {
    const summaries = this.sessions.summaries(principal.orgId, this.services.clock.now());
    return [...this.services.states.all('token')]
      .filter((t) => t.orgId === principal.orgId)
      .map(({ id, orgId, name, role, revoked, createdAt }) => {
        const summary = summaries.get(id);
        return { id, orgId, name, role, revoked, createdAt, lastUsedOn: this.sessions.lastUsedOn(id, summary), activeSessions: revoked ? 0 : (summary?.active ?? 0) };
      });
  }

  /** Revokes a token and ends its open sessions (each end recorded with the reason). */
  async revokeToken(principal: UserPrincipal, id: string): Promise<{ id: string; revoked: true }> {
    const context = this.context(principal);
    await this.services.handler.handle(tokenStream(id), tokenDecider, { type: 'RevokeToken', tokenId: id, orgId: principal.orgId }, context);
    for (const session of this.sessions.open(principal.orgId, context.at, id)) await this.end(session, 'token revoked', context);
    return { id, revoked: true };
  }

  /** The caller's own token: name, role and org. */
  me(principal: UserPrincipal): Me {
    const token = this.ownToken(principal, principal.tokenId);
    const org = this.services.states.state('org', principal.orgId);
    return { orgId: principal.orgId, orgName: org?.name ?? null, tokenId: token.id, name: token.name, role: token.role };
  }

  /** The open sessions of a token of the caller's org. */
  listSessions(principal: UserPrincipal, tokenId: string): SessionRow[] {
    this.ownToken(principal, tokenId);
    return this.sessions.open(principal.orgId, this.services.clock.now(), tokenId).map((session) => this.sessions.row(session, principal.sessionId));
  }

  /** Ends one session of the caller's org. */
  async endSessionById(principal: UserPrincipal, id: string): Promise<{ id: string; ended: true }> {
    const session = this.services.states.state('session', id);
    if (!session || session.orgId !== principal.orgId) throw new AppError('not_found', `Session ${id} not found`);
    await this.end(session, 'ended by an admin', this.context(principal));
    return { id, ended: true };
  }

  /** Ends every open session of a token: the caller's own (anyone), or another of the org (admins). */
  async endAllSessions(principal: UserPrincipal, tokenId = principal.tokenId): Promise<{ ended: number }> {
    const own = tokenId === principal.tokenId;
    if (!own && !hasRole(principal, 'admin')) throw new AppError('forbidden', "Ending another token's sessions needs the admin role");
    this.ownToken(principal, tokenId);
    const context = this.context(principal);
    const open = this.sessions.open(principal.orgId, context.at, tokenId);
    for (const session of open) await this.end(session, own ? 'signed out everywhere' : 'ended by an admin', context);
    return { ended: open.length };
  }

  /** Names of the org's people and sensors, for the causes of events. */
  actorNames(principal: UserPrincipal, sensorIds?: readonly string[]): ActorNames {
    const { states } = this.services;
    const users = [...states.all('token')].filter((t) => t.orgId === principal.orgId).map(({ id, name }) => ({ id, name }));
    const named = sensorIds === undefined ? [...states.all('sensor')] : sensorIds.map((id) => states.state('sensor', id));
    const sensors = named.flatMap((s) => (s !== null && s.orgId === principal.orgId ? [{ id: s.id, name: s.name || s.hostname || s.id }] : []));
    return { users, sensors };
  }

  /** Every org, for admins of the default org. */
  listOrgs(principal: UserPrincipal): OrgRow[] {
    if (principal.orgId !== DEFAULT_ORG_ID) throw new AppError('forbidden', 'Only admins of the default org can list orgs');
    return [...this.services.states.all('org')].map(({ id, name }) => ({ id, name }));
  }

  private ownToken(principal: UserPrincipal, tokenId: string) {
    const token = this.services.states.state('token', tokenId);
    if (!token || token.orgId !== principal.orgId) throw new AppError('not_found', `Token ${tokenId} not found`);
    return token;
  }

  async createOrg(principal: UserPrincipal, name: string): Promise<{ id: string }> {
    const id = randomUUID();
    await this.services.handler.handle(orgStream(id), orgDecider, { type: 'CreateOrg', orgId: id, name, byOrgId: principal.orgId }, this.context(principal, id));
    return { id };
  }

  private context(principal: UserPrincipal, orgId = principal.orgId): WriteContext {
    return { orgId, actor: actorOf(principal), at: this.services.clock.now() };
  }
}
