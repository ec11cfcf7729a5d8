import { CreateOrgInput, CreateTokenInput, IdInput } from '@harborguard/shared';
import { adminProcedure, auditorProcedure, router } from '../trpc.js';

export const tokensRouter = router({
  /** The token is in this answer only; the service keeps a SHA-256 of it. */
  create: adminProcedure.input(CreateTokenInput).mutation(({ ctx, input }) => ctx.app.access.createToken(ctx.user, input)),
  list: adminProcedure.query(({ ctx }) => ctx.app.access.listTokens(ctx.user)),
  revoke: adminProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.revokeToken(ctx.user, input.id)),
});

export const orgsRouter = router({
  create: adminProcedure.input(CreateOrgInput).mutation(({ ctx, input }) => ctx.app.access.createOrg(ctx.user, input.name)),
});

export const sessionRouter = router({
  /** Who the caller is: lets a client check a token and adapt to its role. */
  whoami: auditorProcedure.query(({ ctx }) => ({ orgId: ctx.user.orgId, role: ctx.user.role, tokenId: ctx.user.tokenId })),
});
