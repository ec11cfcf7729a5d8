/** The UTC day (YYYY-MM-DD) of a time in ms or ISO-8601. */
export function dayOf(at: number | string): string {
  return new Date(at).toISOString().slice(0, 10);
}

/**
 * When each token was last used, to the day. Kept in memory, without an event per request: a
 * request changes at most one string per token. After a restart a token's last use comes from
 * its sessions (their starts are stored, and they are seen again when used); a script's use of
 * a bearer token before the restart is forgotten until it calls again.
 */
export class TokenUsage {
  private readonly lastDayOf = new Map<string, string>();

  used(tokenId: string, at: number): void {
    const day = dayOf(at);
    if (this.lastDayOf.get(tokenId) !== day) this.lastDayOf.set(tokenId, day);
  }

  /** The later of the day remembered and `otherwise` (e.g. from the token's sessions). */
  lastUsedOn(tokenId: string, otherwise: string | null): string | null {
    const remembered = this.lastDayOf.get(tokenId) ?? null;
    if (remembered === null || otherwise === null) return remembered ?? otherwise;
    return remembered > otherwise ? remembered : otherwise;
  }
}
