import type { ActorRef, Role } from '@harborguard/shared';

/** A sensor authenticated by its org's API key. */
export interface SensorPrincipal {
  kind: 'sensor';
  orgId: string;
  apiKeyId: string;
}

/** A person (or script) authenticated by a bearer token. */
export interface UserPrincipal {
  kind: 'user';
  orgId: string;
  tokenId: string;
  role: Role;
  /** The dashboard session the request came with, if any. */
  sessionId?: string;
}

const RANK: Record<Role, number> = { auditor: 0, operator: 1, admin: 2 };

export function hasRole(principal: UserPrincipal, required: Role): boolean {
  return RANK[principal.role] >= RANK[required];
}

/** Who caused an event, as the audit trail names them. */
export function actorOf(principal: UserPrincipal): ActorRef {
  return { kind: 'user', id: principal.tokenId };
}

