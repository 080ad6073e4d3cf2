import { BUILTIN_SERVER } from '../builtin-delegate.ts';
import { printable, RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, RpcErrorReply, StepResult } from '../pipeline.ts';
import type { CallCheck, ItemKind } from '../supply.ts';

type Refusal = Extract<CallCheck, { ok: false }>;

/** Error codes of a refused prompts/get and resources/read (`error.data.code`). */
export const ITEM_BLOCKED_CODE = {
  prompt: 'ERR_PROMPT_BLOCKED',
  resource: 'ERR_RESOURCE_BLOCKED',
  'resource-template': 'ERR_RESOURCE_BLOCKED',
} as const satisfies Record<ItemKind, string>;

/**
 * The JSON-RPC error for a prompt, resource or resource template the supply guard refuses:
 * `-32010` with `data = { code, reason, server, kind, name | uri [, uriTemplate] }`.
 */
export function itemBlockedError(
  server: string,
  item: { kind: ItemKind; key: string },
  shown: string,
  check: Refusal,
): RpcErrorReply {
  const noun = item.kind === 'prompt' ? 'prompt' : 'resource';
  const via = item.kind === 'resource-template' ? ` (through template ${printable(item.key, 140)})` : '';
  return {
    code: RpcCode.FORBIDDEN,
    message: `Forbidden: ${noun} ${printable(shown, 140)}${via} is ${check.message}`,
    data: {
      code: ITEM_BLOCKED_CODE[item.kind],
      reason: check.code,
      server,
      kind: item.kind,
      ...(item.kind === 'prompt'
        ? { name: item.key }
        : { uri: shown, ...(item.kind === 'resource-template' ? { uriTemplate: item.key } : {}) }),
    },
  };
}

async function verifyItem(ctx: CallContext, item: { kind: ItemKind; key: string }): Promise<StepResult> {
  const { session, target } = ctx;
  let check;
  try {
    check = await session.supply.checkItem(target!.server, item.kind, item.key);
  } catch (e) {
    session.services.logger.error('pin verification failed', { error: (e as Error).message });
    ctx.outcome = 'denied';
    ctx.errorCode = 'ERR_PIN_UNAVAILABLE';
    return stop(RpcCode.FORBIDDEN, `Forbidden: the ${item.kind} pin could not be verified (fail closed)`, {
      code: 'ERR_PIN_UNAVAILABLE',
    });
  }
  if (check.ok) {
    ctx.toolHash = check.hash;
    return CONTINUE;
  }
  const err = itemBlockedError(target!.server, item, target!.exposed, check);
  ctx.outcome = 'denied';
  ctx.errorCode = ITEM_BLOCKED_CODE[item.kind];
  return { kind: 'stop', error: err };
}

/**
 * Verify pin (THREATS TP-1…TP-5, RP-1…RP-3): a tool call goes on only if the tool was not
 * quarantined or held by the scanner, its server is not flagged for a split view, and the
 * definition this session was shown still matches its approved pin in the store. Anything
 * else is refused with the reason in `error.data.reason` (e.g. `definition_changed`).
 * prompts/get and resources/read are checked the same way against the prompt, resource or
 * resource template they resolved to (`ERR_PROMPT_BLOCKED`, `ERR_RESOURCE_BLOCKED`).
 * Built-in tools (server `warden`, a name no upstream can take) are Warden's own code with a
 * fixed definition: there is no upstream supply chain to pin, so they are not checked here.
 */
export async function verifyPin(ctx: CallContext): Promise<StepResult> {
  const { session, target } = ctx;
  if (target === undefined || target.server === BUILTIN_SERVER) return CONTINUE;
  if (ctx.method !== 'tools/call') {
    // Fail closed: a prompt or resource request always resolves to a definition to check.
    if (target.item !== undefined) return verifyItem(ctx, target.item);
    ctx.outcome = 'denied';
    ctx.errorCode = 'ERR_PIN_UNAVAILABLE';
    return stop(RpcCode.FORBIDDEN, 'Forbidden: no definition to verify (fail closed)', {
      code: 'ERR_PIN_UNAVAILABLE',
    });
  }
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
