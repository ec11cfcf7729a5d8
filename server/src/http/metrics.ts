import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServiceMetrics } from '../observability/metrics.js';
import type { Context } from '../api/context.js';
import { AppError } from '../domain/errors.js';
import { countingFailures } from '../api/auth-limiter.js';
import { answerRefusal } from '../api/http-answers.js';

/**
 * Prometheus metrics (see ServiceMetrics). They add up every org, so with HARBORGUARD_METRICS_TOKEN set they need
 * `Authorization: Bearer <token>`; unset, they are open, as scrapers on a private network expect.
 */
export async function handleMetrics(ctx: Context, metrics: ServiceMetrics, token: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (token !== undefined) await countingFailures(ctx.authLimiter, ctx.clientAddress, () => checkToken(req.headers.authorization, token));
  } catch (error) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    if (answerRefusal(res, error)) return;
    throw error;
  }
  const { contentType, body } = await metrics.exposition();
  res.writeHead(200, { 'Content-Type': contentType });
  res.end(body);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Compares digests in constant time, so the answer's timing says nothing of the token. */
function checkToken(authorization: string | undefined, token: string): void {
  if (!authorization) throw new AppError('unauthorized', 'Missing Authorization header: /metrics needs the metrics token');
  if (!timingSafeEqual(digest(authorization), digest(`Bearer ${token}`))) throw new AppError('unauthorized', 'Invalid metrics token');
}
