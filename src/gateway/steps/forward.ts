import { newId } from '../../core/index.ts';
import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, RpcErrorReply, StepResult } from '../pipeline.ts';
import { GatewayError, UpstreamRpcError } from '../errors.ts';
import { BUILTIN_SERVER, forwardBuiltin } from '../builtin-delegate.ts';

/**
 * Forwards the parsed request (never the raw bytes) to the upstream under its own name, with
 * the session's per-call timeout; client cancellation and disconnects cancel the upstream call.
 * Progress notifications are relayed under the client's own token.
 */
export async function forward(ctx: CallContext): Promise<StepResult> {
  const { session, target } = ctx;
  if (target === undefined) return stop(RpcCode.INTERNAL_ERROR, 'Internal error');
  if (target.server === BUILTIN_SERVER) return forwardBuiltin(ctx);
  const slot = session.slots.get(target.server)!;
  const params: Record<string, unknown> = {};
  switch (ctx.method) {
    case 'tools/call':
    case 'prompts/get':
      params.name = target.name;
      params.arguments = ctx.args ?? {};
      break;
    case 'resources/read':
      params.uri = target.name;
      break;
  }
  const meta = ctx.request.params?._meta;
  let routeKey: string | undefined;
  if (typeof meta === 'object' && meta !== null && 'progressToken' in meta) {
    const token = newId('wp-');
    routeKey = `${target.server}\u0000${token}`;
    session.progressRoutes.set(routeKey, {
      clientToken: meta.progressToken,
      channel: ctx.channel,
    });
    params._meta = { progressToken: token };
  }
  try {
    const conn = await slot.get();
    ctx.result = await conn.request(ctx.method, params, slot.config.timeoutMs, ctx.signal);
    ctx.outcome = 'ok';
    return CONTINUE;
  } catch (e) {
    return failure(ctx, e);
  } finally {
    if (routeKey !== undefined) session.progressRoutes.delete(routeKey);
  }
}

function failure(ctx: CallContext, e: unknown): StepResult {
  const f = upstreamFailure(e);
  ctx.outcome = f.outcome;
  ctx.errorCode = f.errorCode;
  if (f.errorCode === 'ERR_INTERNAL') {
    ctx.session.services.logger.error('forward failed', { error: (e as Error).message });
  }
  return stop(f.error.code, f.error.message, f.error.data);
}

/**
 * How a failed upstream request reaches the client: the upstream's own JSON-RPC error as it is,
 * a timeout as -32001, a cancellation as -32800, any other gateway error as "upstream
 * unavailable", and anything unexpected as an internal error. Shared by the pipeline and by the
 * methods relayed outside it (subscribe, completion).
 */
export function upstreamFailure(e: unknown): {
  error: RpcErrorReply;
  outcome: 'error' | 'timeout';
  errorCode: string;
} {
  if (e instanceof UpstreamRpcError) {
    return { error: e.rpc, outcome: 'error', errorCode: 'ERR_UPSTREAM_ERROR' };
  }
  if (e instanceof GatewayError) {
    switch (e.code) {
      case 'ERR_UPSTREAM_TIMEOUT':
        return {
          error: { code: RpcCode.REQUEST_TIMEOUT, message: `Request timed out: ${e.message}` },
          outcome: 'timeout',
          errorCode: e.code,
        };
      case 'ERR_CANCELLED':
        return { error: { code: -32800, message: 'Request cancelled' }, outcome: 'error', errorCode: e.code };
      default:
        return {
          error: { code: RpcCode.UPSTREAM_UNAVAILABLE, message: `Upstream unavailable: ${e.message}` },
          outcome: 'error',
          errorCode: e.code,
        };
    }
  }
  return {
    error: { code: RpcCode.INTERNAL_ERROR, message: 'Internal error' },
    outcome: 'error',
    errorCode: 'ERR_INTERNAL',
  };
}
