/**
 * Builds the Cedar request (uids, the minimal entity list, the context) from a PolicyRequest.
 * Entity lists are kept to the principal and the resource: role and server entities need not be
 * passed, since `in` follows the parents listed on the principal and the resource.
 */
import type { CedarValueJson, EntityJson, TypeAndId } from './cedar.ts';
import { ANNOTATION_HINTS, NAMESPACE } from './cedar-schema.ts';
import { jsonToCedar } from './convert.ts';
import type {
  PolicyAction,
  PolicyContext,
  PolicyPrincipal,
  PolicyResource,
  VisibilityContext,
} from './types.ts';

const KIND_FOR_ACTION: Readonly<Record<PolicyAction, PolicyResource['kind']>> = {
  call_tool: 'tool',
  read_resource: 'resource',
  get_prompt: 'prompt',
};

export const ACTION_FOR_KIND: Readonly<Record<PolicyResource['kind'], PolicyAction>> = {
  tool: 'call_tool',
  resource: 'read_resource',
  prompt: 'get_prompt',
};

export function uid(type: string, id: string): TypeAndId {
  return { type: `${NAMESPACE}::${type}`, id };
}

export function checkKind(action: PolicyAction, resource: PolicyResource): void {
  if (KIND_FOR_ACTION[action] !== resource.kind) {
    throw new TypeError(`policy: action ${action} does not apply to a ${resource.kind}`);
  }
}

/** `fs.read_file`, `fs:file:///x`, `fs.prompt`: how a resource is named in ids and reasons. */
export function resourceLabel(r: PolicyResource): string {
  switch (r.kind) {
    case 'tool':
    case 'prompt':
      return `${r.server}.${r.name}`;
    case 'resource':
      return `${r.server}:${r.uri}`;
  }
}

export function resourceUid(r: PolicyResource): TypeAndId {
  switch (r.kind) {
    case 'tool':
      return uid('Tool', resourceLabel(r));
    case 'resource':
      return uid('Resource', resourceLabel(r));
    case 'prompt':
      return uid('Prompt', resourceLabel(r));
  }
}

export function principalEntity(p: PolicyPrincipal, withAttrs = true): EntityJson {
  return {
    uid: uid('Agent', p.id),
    attrs: withAttrs ? { name: p.id } : {},
    parents: p.roles.map((r) => uid('Role', r)),
  };
}

export function resourceEntity(r: PolicyResource, withAttrs = true): EntityJson {
  const parents = [uid('Server', r.server)];
  if (!withAttrs) return { uid: resourceUid(r), attrs: {}, parents };
  switch (r.kind) {
    case 'tool': {
      const trusted = r.trustedAnnotations === true;
      return {
        uid: resourceUid(r),
        attrs: {
          name: r.name,
          server: r.server,
          // Untrusted servers' hints are not passed at all (TP-4), so a policy that forgets
          // to test `trusted_annotations` still cannot be fooled by a lying annotation.
          annotations: trusted ? hints(r.annotations) : {},
          trusted_annotations: trusted,
        },
        parents,
      };
    }
    case 'resource':
      return { uid: resourceUid(r), attrs: { uri: r.uri, server: r.server }, parents };
    case 'prompt':
      return { uid: resourceUid(r), attrs: { name: r.name, server: r.server }, parents };
  }
}

function hints(annotations: Readonly<Record<string, unknown>> | undefined): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  if (annotations === undefined) return out;
  for (const h of ANNOTATION_HINTS) {
    const v = Object.hasOwn(annotations, h) ? annotations[h] : undefined;
    if (typeof v === 'boolean') out[h] = v;
  }
  return out;
}

export interface BuiltContext {
  readonly context: Record<string, CedarValueJson>;
  /** Conversion problems; a request with any is denied. */
  readonly issues: readonly string[];
}

export function timeFields(nowMs: number): Record<string, CedarValueJson> {
  if (!Number.isFinite(nowMs)) throw new TypeError('policy: context.now must be epoch milliseconds');
  return {
    now: Math.floor(nowMs / 1000),
    datetime: { __extn: { fn: 'datetime', arg: new Date(nowMs).toISOString() } },
  };
}

export function buildContext(ctx: PolicyContext): BuiltContext {
  const issues: string[] = [];
  const context: Record<string, CedarValueJson> = {
    args: recordField('args', ctx.args, issues) ?? {},
    ...timeFields(ctx.now),
    task: ctx.task ?? '',
    session: ctx.session ?? '',
  };
  addOptional(context, ctx, issues);
  return { context, issues };
}

/** Context for listing: `args` (and any field not given) is Cedar's `unknown`. */
export function buildPartialContext(ctx: VisibilityContext = {}): BuiltContext {
  const issues: string[] = [];
  const unknown = (name: string): CedarValueJson => ({ __extn: { fn: 'unknown', arg: name } });
  const context: Record<string, CedarValueJson> = {
    args: unknown('args'),
    // `datetime` stays unknown even when `now` is known: an extension value in the context keeps
    // cedar-wasm's partial evaluator from reducing any context access at all.
    now: ctx.now === undefined ? unknown('now') : (timeFields(ctx.now)['now'] ?? unknown('now')),
    datetime: unknown('datetime'),
    task: ctx.task ?? unknown('task'),
    session: ctx.session ?? unknown('session'),
  };
  addOptional(context, ctx, issues);
  return { context, issues };
}

function addOptional(
  context: Record<string, CedarValueJson>,
  ctx: { readonly grant?: unknown; readonly taint?: unknown },
  issues: string[],
): void {
  const grant = recordField('grant', ctx.grant, issues);
  if (grant !== undefined) context['grant'] = grant;
  const taint = recordField('taint', ctx.taint, issues);
  if (taint !== undefined) context['taint'] = taint;
}

function recordField(name: string, value: unknown, issues: string[]): CedarValueJson | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push(`context.${name} is not an object`);
    return undefined;
  }
  const c = jsonToCedar(value);
  issues.push(...c.issues.map((i) => `context.${name}: ${i}`));
  return c.value;
}
