import { CreateApiKeyInput, IdInput } from '@harborguard/shared';
import { operatorProcedure, router } from '../trpc.js';

export const apiKeysRouter = router({
  /** The key is in this answer only; the service keeps a SHA-256 of it. */
  create: operatorProcedure.input(CreateApiKeyInput).mutation(({ ctx, input }) => ctx.app.access.createApiKey(ctx.user, input.name)),
  /** Metadata only: never a key or its hash. */
  list: operatorProcedure.query(({ ctx }) => ctx.app.queries.apiKeys(ctx.user.orgId)),
  rotate: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.rotateApiKey(ctx.user, input.id)),
  revoke: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.revokeApiKey(ctx.user, input.id)),
});
