import { newId } from '../../core/index.ts';
import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';
import { GatewayError, UpstreamRpcError } from '../errors.ts';

/**
 * Forwards the parsed request (never the raw bytes) to the upstream under its own name, with
 * the session's per-call timeout; client cancellation and disconnects cancel the upstream call.
 * Progress notifications are relayed under the client's own token.
 */
export async function forward(ctx: CallContext): Promise<StepResult> {
  const { session, target } = ctx;
  if (target === undefined) return stop(RpcCode.INTERNAL_ERROR, 'Internal error');
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
  if (e instanceof UpstreamRpcError) {
    ctx.outcome = 'error';
    ctx.errorCode = 'ERR_UPSTREAM_ERROR';
    return stop(e.rpc.code, e.rpc.message, e.rpc.data);
  }
  if (e instanceof GatewayError) {
    ctx.errorCode = e.code;
    switch (e.code) {
      case 'ERR_UPSTREAM_TIMEOUT':
        ctx.outcome = 'timeout';
        return stop(RpcCode.REQUEST_TIMEOUT, `Request timed out: ${e.message}`);
      case 'ERR_CANCELLED':
        ctx.outcome = 'error';
        return stop(-32800, 'Request cancelled');
      default:
        ctx.outcome = 'error';
        return stop(RpcCode.UPSTREAM_UNAVAILABLE, `Upstream unavailable: ${e.message}`);
    }
  }
  ctx.outcome = 'error';
  ctx.errorCode = 'ERR_INTERNAL';
  ctx.session.services.logger.error('forward failed', { error: (e as Error).message });
  return stop(RpcCode.INTERNAL_ERROR, 'Internal error');
}
