import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';
import type { GatewayServices } from '../services.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets, one per agent: `burst` calls at once, refilled at `callsPerSecond`. One agent's
 * storm (a tool-call loop) is refused early and cheaply, before policy, audit "decided" or any
 * upstream work, so other agents keep their latency (THREATS DoS-1). Buckets live in memory per
 * gateway process; several processes each apply the limit.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(callsPerSecond: number, burst: number) {
    this.#rate = callsPerSecond / 1000;
    this.#burst = burst;
  }

  /** Takes one token for `key` at `nowMs` (monotonic); 0 when allowed, else ms until one is available. */
  take(key: string, nowMs: number): number {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#burst, at: nowMs };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (nowMs - b.at) * this.#rate);
      b.at = nowMs;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / this.#rate);
  }
}

const limiters = new WeakMap<GatewayServices, RateLimiter | false>();

function limiterFor(services: GatewayServices): RateLimiter | false {
  let l = limiters.get(services);
  if (l === undefined) {
    const cfg = services.config.gateway.rateLimit;
    l = cfg === false ? false : new RateLimiter(cfg.callsPerSecond, cfg.burst);
    limiters.set(services, l);
  }
  return l;
}

/** Refuses a call when the agent is over `gateway.rate_limit`; the refusal is audited as rejected. */
export function rateLimit(ctx: CallContext): Promise<StepResult> {
  const { services, principal } = ctx.session;
  const limiter = limiterFor(services);
  if (limiter === false) return Promise.resolve(CONTINUE);
  const wait = limiter.take(principal.agentName, services.clock.monotonic());
  if (wait === 0) return Promise.resolve(CONTINUE);
  ctx.outcome = 'denied';
  ctx.errorCode = 'ERR_RATE_LIMITED';
  return Promise.resolve(
    stop(RpcCode.RATE_LIMITED, `Rate limited: agent over gateway.rate_limit; retry in ${wait} ms`, {
      code: 'ERR_RATE_LIMITED',
      retryAfterMs: wait,
    }),
  );
}
