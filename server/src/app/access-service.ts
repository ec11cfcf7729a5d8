import { randomUUID } from 'node:crypto';
import type { Role } from '@harborguard/shared';
import type { FleetModel } from '../domain/fleet-model.js';
import type { Clock } from '../core/clock.js';
import type { EventWriter } from './event-writer.js';
import { AppError } from '../domain/errors.js';
import { newApiKey, newUserToken, secretPrefix, sha256Hex } from './secrets.js';
import { DEFAULT_ORG_ID, type SensorPrincipal, type UserPrincipal } from './principal.js';

export interface TokenView {
  id: string;
  orgId: string;
  name: string;
  role: Role;
  revoked: boolean;
  createdAt: string;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Reads the bearer secret of an Authorization header, or explains what is wrong with it. */
export function bearerSecret(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new AppError('unauthorized', 'Missing Authorization header');
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AppError('unauthorized', 'Authorization header must be "Bearer <key>"');
  return match[1];
}

/** Orgs, user tokens and sensor API keys: who may call what. */
export class AccessService {
  constructor(
    private readonly state: FleetModel,
    private readonly writer: EventWriter,
    private readonly clock: Clock,
    private readonly keyRotationGraceMs: number,
  ) {}

  /**
   * First start: the default org and an admin token. The token is the configured one, or a
   * generated one returned so the caller can show it once.
   */
  async bootstrap(configuredAdminToken: string | undefined): Promise<{ generatedAdminToken: string | null }> {
    const system = { kind: 'system' as const, id: 'bootstrap' };
    const at = this.clock.now();
    if (!this.state.orgs.has(DEFAULT_ORG_ID)) {
      await this.writer.append(`org-${DEFAULT_ORG_ID}`, [{ type: 'OrgCreated', data: { orgId: DEFAULT_ORG_ID, name: 'default' } }], {
        orgId: DEFAULT_ORG_ID,
        actor: system,
        at,
      });
    }
    let secret: string | null = null;
    if (configuredAdminToken !== undefined) {
      if (this.state.tokenIdByHash.has(sha256Hex(configuredAdminToken))) return { generatedAdminToken: null };
      secret = configuredAdminToken;
    } else {
      const hasAdmin = [...this.state.tokens.values()].some((t) => t.orgId === DEFAULT_ORG_ID && t.role === 'admin' && !t.revoked);
      if (hasAdmin) return { generatedAdminToken: null };
      secret = newUserToken();
    }
    const tokenId = randomUUID();
    await this.writer.append(
      `token-${tokenId}`,
      [{ type: 'TokenCreated', data: { tokenId, orgId: DEFAULT_ORG_ID, name: 'admin', role: 'admin', tokenHash: sha256Hex(secret), bootstrap: true } }],
      { orgId: DEFAULT_ORG_ID, actor: system, at },
    );
    return { generatedAdminToken: configuredAdminToken === undefined ? secret : null };
  }

  authenticateSensor(authorization: string | undefined): SensorPrincipal {
    const hash = sha256Hex(bearerSecret(authorization));
    const keyId = this.state.apiKeyIdByHash.get(hash);
    const key = keyId === undefined ? undefined : this.state.apiKeys.get(keyId);
    if (!key) throw new AppError('unauthorized', 'Invalid API key');
    if (key.revoked) throw new AppError('unauthorized', 'API key revoked');
    if (key.hash !== hash && (key.previous === null || key.previous.validUntil <= this.clock.now())) {
      throw new AppError('unauthorized', 'Invalid API key');
    }
    return { kind: 'sensor', orgId: key.orgId, apiKeyId: key.id };
  }

  authenticateUser(authorization: string | undefined): UserPrincipal {
    const tokenId = this.state.tokenIdByHash.get(sha256Hex(bearerSecret(authorization)));
    const token = tokenId === undefined ? undefined : this.state.tokens.get(tokenId);
    if (!token) throw new AppError('unauthorized', 'Invalid token');
    if (token.revoked) throw new AppError('unauthorized', 'Token revoked');
    return { kind: 'user', orgId: token.orgId, tokenId: token.id, role: token.role };
  }

  async createApiKey(principal: UserPrincipal, name: string): Promise<{ id: string; key: string }> {
    const id = randomUUID();
    const key = newApiKey();
    await this.writer.append(
      `apikey-${id}`,
      [{ type: 'ApiKeyCreated', data: { apiKeyId: id, orgId: principal.orgId, name, keyHash: sha256Hex(key), keyPrefix: secretPrefix(key) } }],
      this.context(principal),
    );
    return { id, key };
  }

  /** A new key; the old one keeps working for the grace period so sensors can be moved over. */
  async rotateApiKey(principal: UserPrincipal, id: string): Promise<{ id: string; key: string; previousKeyValidUntil: string }> {
    const existing = this.ownApiKey(principal, id);
    if (existing.revoked) throw new AppError('conflict', 'API key is revoked; create a new one instead');
    const key = newApiKey();
    const context = this.context(principal);
    const previousKeyValidUntil = new Date(context.at + this.keyRotationGraceMs).toISOString();
    await this.writer.append(
      `apikey-${id}`,
      [{ type: 'ApiKeyRotated', data: { apiKeyId: id, keyHash: sha256Hex(key), keyPrefix: secretPrefix(key), previousKeyHash: existing.hash, previousValidUntil: previousKeyValidUntil } }],
      context,
    );
    return { id, key, previousKeyValidUntil };
  }

  async revokeApiKey(principal: UserPrincipal, id: string): Promise<{ id: string; revoked: true }> {
    const existing = this.ownApiKey(principal, id);
    if (!existing.revoked) await this.writer.append(`apikey-${id}`, [{ type: 'ApiKeyRevoked', data: { apiKeyId: id } }], this.context(principal));
    return { id, revoked: true };
  }

  async createToken(principal: UserPrincipal, input: { role: Role; name: string; orgId?: string | undefined }): Promise<{ id: string; token: string }> {
    const orgId = input.orgId ?? principal.orgId;
    if (orgId !== principal.orgId) {
      if (principal.orgId !== DEFAULT_ORG_ID) throw new AppError('forbidden', 'Only admins of the default org can create tokens for other orgs');
      if (!this.state.orgs.has(orgId)) throw new AppError('not_found', `Org ${orgId} not found`);
    }
    const id = randomUUID();
    const token = newUserToken();
    await this.writer.append(
      `token-${id}`,
      [{ type: 'TokenCreated', data: { tokenId: id, orgId, name: input.name, role: input.role, tokenHash: sha256Hex(token) } }],
      this.context(principal, orgId),
    );
    return { id, token };
  }

  listTokens(principal: UserPrincipal): TokenView[] {
    return [...this.state.tokens.values()]
      .filter((t) => t.orgId === principal.orgId)
      .map(({ id, orgId, name, role, revoked, createdAt }) => ({ id, orgId, name, role, revoked, createdAt }));
  }

  async revokeToken(principal: UserPrincipal, id: string): Promise<{ id: string; revoked: true }> {
    const token = this.state.tokens.get(id);
    if (!token || token.orgId !== principal.orgId) throw new AppError('not_found', `Token ${id} not found`);
    if (!token.revoked) await this.writer.append(`token-${id}`, [{ type: 'TokenRevoked', data: { tokenId: id } }], this.context(principal));
    return { id, revoked: true };
  }

  async createOrg(principal: UserPrincipal, name: string): Promise<{ id: string }> {
    if (principal.orgId !== DEFAULT_ORG_ID) throw new AppError('forbidden', 'Only admins of the default org can create orgs');
    const id = randomUUID();
    await this.writer.append(`org-${id}`, [{ type: 'OrgCreated', data: { orgId: id, name } }], this.context(principal, id));
    return { id };
  }

  private ownApiKey(principal: UserPrincipal, id: string) {
    const key = this.state.apiKeys.get(id);
    if (!key || key.orgId !== principal.orgId) throw new AppError('not_found', `API key ${id} not found`);
    return key;
  }

  private context(principal: UserPrincipal, orgId = principal.orgId) {
    return { orgId, actor: { kind: 'user' as const, id: principal.tokenId }, at: this.clock.now() };
  }
}
