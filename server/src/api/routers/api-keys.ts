import { CreateApiKeyInput, IdInput } from '@harborguard/shared';
import { operatorProcedure, router } from '../trpc.js';

export const apiKeysRouter = router({
  /** The key is in this answer only; the service keeps a SHA-256 of it. */
  create: operatorProcedure.input(CreateApiKeyInput).mutation(({ ctx, input }) => ctx.app.access.createApiKey(ctx.user, input.name)),
  list: operatorProcedure.query(({ ctx }) => ctx.app.access.listApiKeys(ctx.user)),
  rotate: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.rotateApiKey(ctx.user, input.id)),
  revoke: operatorProcedure.input(IdInput).mutation(({ ctx, input }) => ctx.app.access.revokeApiKey(ctx.user, input.id)),
});
