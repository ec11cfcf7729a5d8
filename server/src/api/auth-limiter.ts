import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../domain/errors.js';

/** Failed authentications from one client address past the limit: answered 429 with Retry-After. */
export class TooManyFailedAuthentications extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many failed authentications from this address; retry in ${retryAfterSeconds} s`);
    this.name = 'TooManyFailedAuthentications';
  }
}

export interface FailedAuthLimits {
  /** Failures allowed per address within the window. */
  failures: number;
  windowSeconds: number;
}

export const DEFAULT_FAILED_AUTH_LIMITS: FailedAuthLimits = { failures: 20, windowSeconds: 60 };

/**
 * Counts failed authentications per client address. Only failures are counted and only
 * failures are refused: a request with a valid key or token never reaches this, so sensors
 * sharing an address (a NAT, a proxy) with a guesser are never slowed.
 */
export class FailedAuthLimiter {
  private readonly limiter: RateLimiterMemory;

  constructor(limits: FailedAuthLimits = DEFAULT_FAILED_AUTH_LIMITS) {
    this.limiter = new RateLimiterMemory({ points: limits.failures, duration: limits.windowSeconds });
  }

  /** Records a failure; throws TooManyFailedAuthentications once the address is over its limit. */
  async failed(address: string): Promise<void> {
    try {
      await this.limiter.consume(address);
    } catch (result) {
      if (!(result instanceof RateLimiterRes)) throw result;
      throw new TooManyFailedAuthentications(Math.max(1, Math.ceil(result.msBeforeNext / 1000)));
    }
  }
}

/**
 * Runs `authenticate`; when it refuses the credentials (401), counts the failure against
 * the client's address first, so the refusal becomes a 429 once the address is over its limit.
 */
export async function countingFailures<T>(limiter: FailedAuthLimiter, address: string, authenticate: () => T): Promise<T> {
  try {
    return authenticate();
  } catch (error) {
    if (error instanceof AppError && error.kind === 'unauthorized') await limiter.failed(address);
    throw error;
  }
}
