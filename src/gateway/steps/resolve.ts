import { RpcCode, printable } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';

/** Finds which upstream serves the request, from what this session was shown (never a guess). */
export async function resolveTarget(ctx: CallContext): Promise<StepResult> {
  const p = ctx.request.params ?? {};
  switch (ctx.method) {
    case 'tools/call':
    case 'prompts/get': {
      const name = p.name;
      const args = ctx.method === 'tools/call' ? p.arguments : p.arguments;
      if (typeof name !== 'string')
        return stop(RpcCode.INVALID_PARAMS, 'Invalid params: name must be a string');
      if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) {
        return stop(RpcCode.INVALID_PARAMS, 'Invalid params: arguments must be an object');
      }
      ctx.args = (args as Record<string, unknown> | undefined) ?? {};
      const kind = ctx.method === 'tools/call' ? 'tools' : 'prompts';
      const what = kind === 'tools' ? 'tool' : 'prompt';
      // Only a name this session can be shown resolves: the exposed list is the routing table.
      const found = await ctx.session.exposedNamed(kind, name);
      if (found === undefined)
        return stop(RpcCode.INVALID_PARAMS, `Unknown ${what}: ${printable(name, 140)}`);
      ctx.target = {
        server: found.server,
        name: found.name,
        exposed: found.exposed,
        def: found.def,
        ...(kind === 'prompts' ? { item: { kind: 'prompt' as const, key: found.name } } : {}),
      };
      track(ctx);
      return CONTINUE;
    }
    case 'resources/read': {
      const uri = p.uri;
      if (typeof uri !== 'string')
        return stop(RpcCode.INVALID_PARAMS, 'Invalid params: uri must be a string');
      const found = await ctx.session.resourceTarget(uri);
      if (found === undefined) return stop(RpcCode.INVALID_PARAMS, 'Unknown resource');
      ctx.args = { uri };
      ctx.target = {
        server: found.server,
        name: uri,
        exposed: uri,
        item: { kind: found.kind, key: found.key },
      };
      track(ctx);
      return CONTINUE;
    }
  }
}

/** Records which server the in-flight request went to, so the server's related messages find its stream. */
function track(ctx: CallContext): void {
  const entry = ctx.session.inflight.get(ctx.request.rawId);
  if (entry !== undefined && ctx.target !== undefined) entry.server = ctx.target.server;
}
