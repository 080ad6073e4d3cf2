import { BUILTIN_SERVER } from '../builtin-delegate.ts';
import { printable, RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';

/**
 * Verify pin (THREATS TP-1…TP-5, RP-1…RP-3): a tool call goes on only if the tool was not
 * quarantined or held by the scanner, its server is not flagged for a split view, and the
 * definition this session was shown still matches its approved pin in the store. Anything
 * else is refused with the reason in `error.data.reason` (e.g. `definition_changed`).
 * Built-in tools (server `warden`, a name no upstream can take) are Warden's own code with a
 * fixed definition: there is no upstream supply chain to pin, so they are not checked here.
 */
export async function verifyPin(ctx: CallContext): Promise<StepResult> {
  const { session, target } = ctx;
  if (ctx.method !== 'tools/call' || target === undefined || target.server === BUILTIN_SERVER)
    return CONTINUE;
  let check;
  try {
    check = await session.supply.check(target.server, target.name);
  } catch (e) {
    session.services.logger.error('pin verification failed', { error: (e as Error).message });
    ctx.outcome = 'denied';
    ctx.errorCode = 'ERR_PIN_UNAVAILABLE';
    return stop(RpcCode.FORBIDDEN, 'Forbidden: the tool pin could not be verified (fail closed)', {
      code: 'ERR_PIN_UNAVAILABLE',
    });
  }
  if (check.ok) {
    ctx.toolHash = check.hash;
    return CONTINUE;
  }
  ctx.outcome = 'denied';
  ctx.errorCode = 'ERR_TOOL_BLOCKED';
  return stop(RpcCode.FORBIDDEN, `Forbidden: tool ${printable(target.exposed, 140)} is ${check.message}`, {
    code: 'ERR_TOOL_BLOCKED',
    reason: check.code,
    server: target.server,
    tool: target.name,
  });
}
