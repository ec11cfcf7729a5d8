import { ActorNamesInput, CreateOrgInput, CreateTokenInput, EndAllSessionsInput, IdInput, ListSessionsInput } from '@harborguard/shared';
import { adminProcedure, auditorProcedure, router } from '../trpc.js';

export const tokensRouter = router({
  /** The token is in this answer only; the service keeps a SHA-256 of it. */
  create: adminProcedure.input(CreateTokenInput).mutation(({ ctx, input }) => ctx.app.access.createToken(ctx.user, input)),
  list: adminProcedure.query(({ ctx }) => ctx.app.access.listTokens(ctx.user)),
  revoke: adminProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.revokeToken(ctx.user, input.id)),
});

export const orgsRouter = router({
  create: adminProcedure.input(CreateOrgInput).mutation(({ ctx, input }) => ctx.app.access.createOrg(ctx.user, input.name)),
  /** Every org: admins of the default org only. */
  list: adminProcedure.query(({ ctx }) => ctx.app.access.listOrgs(ctx.user)),
});

export const sessionRouter = router({
  /** Who the caller is: lets a client check a token and adapt to its role. */
  whoami: auditorProcedure.query(({ ctx }) => ({ orgId: ctx.user.orgId, role: ctx.user.role, tokenId: ctx.user.tokenId })),
  /** The caller's own token's name and role, and their org. */
  me: auditorProcedure.query(({ ctx }) => ctx.app.access.me(ctx.user)),
});

export const sessionsRouter = router({
  /** The open dashboard sessions of a token of the admin's org. */
  list: adminProcedure.input(ListSessionsInput).query(({ ctx, input }) => ctx.app.access.listSessions(ctx.user, input.tokenId)),
  end: adminProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.endSessionById(ctx.user, input.id)),
  /** Without `tokenId`: the caller's own sessions (sign out everywhere). Another token's: admins. */
  endAll: auditorProcedure.input(EndAllSessionsInput).mutation(({ ctx, input }) => ctx.app.access.endAllSessions(ctx.user, input.tokenId)),
});

export const actorsRouter = router({
  /**
   * Names of the org's people and sensors, so the causes of events read as names; a dashboard
   * of a large fleet names the sensors it needs names for.
   */
  names: auditorProcedure.input(ActorNamesInput).query(({ ctx, input }) => ctx.app.access.actorNames(ctx.user, input?.sensorIds)),
});
