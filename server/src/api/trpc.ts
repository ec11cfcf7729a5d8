import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import type { Role } from '@harborguard/shared';
import { AppError, type AppErrorKind } from '../domain/errors.js';
import { hasRole } from '../app/principal.js';
import { countingFailures, TooManyFailedAuthentications } from './auth-limiter.js';
import type { Context } from './context.js';

export type { Context } from './context.js';

const CODE_OF: Record<AppErrorKind, TRPC_ERROR_CODE_KEY> = {
  bad_request: 'BAD_REQUEST',
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  payload_too_large: 'PAYLOAD_TOO_LARGE',
  unavailable: 'SERVICE_UNAVAILABLE',
};

/** Names each offending field, e.g. `name: must not be empty`. */
export function describeZodError(error: ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`).join('; ');
}

/** A domain refusal or a rate limit as the tRPC error that carries its HTTP status; anything else unchanged. */
export function asTrpcError(error: unknown): unknown {
  if (error instanceof AppError) return new TRPCError({ code: CODE_OF[error.kind], message: error.message, cause: error });
  if (error instanceof TooManyFailedAuthentications) return new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause: error });
  return error;
}

// No data transformer: plain JSON in and out, so any HTTP client can call the API.
const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const message = error.cause instanceof ZodError ? describeZodError(error.cause) : shape.message;
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message, data };
  },
});

export const router = t.router;

/** Every procedure: domain errors become their HTTP answers; nothing runs before start-up ends. */
export const publicProcedure = t.procedure.use(async ({ ctx, next, type }) => {
  if (!ctx.app?.ready) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'Service is starting; retry shortly' });
  // Reads see every write acknowledged before them.
  if (type !== 'mutation') await ctx.app.readModelsCurrent();
  const result = await next({ ctx: { app: ctx.app } });
  if (!result.ok && result.error.cause instanceof AppError) throw asTrpcError(result.error.cause);
  return result;
});

async function authenticated<T>(ctx: Context, authenticate: () => T): Promise<T> {
  try {
    return await countingFailures(ctx.authLimiter, ctx.clientAddress, authenticate);
  } catch (error) {
    throw asTrpcError(error);
  }
}

/** Called by sensors, with their org's API key. */
export const sensorProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const sensor = await authenticated(ctx, () => ctx.app.access.authenticateSensor(ctx.authorization));
  return next({ ctx: { sensor } });
});

/** Called by people with a token of at least the given role. */
export function userProcedure(role: Role) {
  return publicProcedure.use(async ({ ctx, next }) => {
    const user = await authenticated(ctx, () => ctx.app.access.authenticateUser(ctx.authorization));
    if (!hasRole(user, role)) throw new TRPCError({ code: 'FORBIDDEN', message: `This needs the ${role} role; your token has ${user.role}` });
    return next({ ctx: { user } });
  });
}

export const auditorProcedure = userProcedure('auditor');
export const operatorProcedure = userProcedure('operator');
export const adminProcedure = userProcedure('admin');

/**
 * Admits a WebSocket connection: its credentials must be a valid user token or sensor key
 * (failures counted like any other). A refused user token says why (e.g. revoked).
 */
export async function authenticateConnection(ctx: Context): Promise<void> {
  const access = ctx.app?.access;
  if (!access || !ctx.app?.ready) throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'Service is starting; retry shortly' });
  await authenticated(ctx, () => {
    try {
      return access.authenticateUser(ctx.authorization);
    } catch (userError) {
      try {
        return access.authenticateSensor(ctx.authorization);
      } catch {
        throw userError;
      }
    }
  });
}
