/** Turns Cedar answers into Decisions (and visibility), failing closed on anything unexpected. */
import type { CedarResponse, CedarValueJson, DetailedError, ResidualResponse } from './cedar.ts';
import { isAuthorizedPartial, statefulIsAuthorized } from './cedar.ts';
import type { CompiledSet } from './compile.ts';
import { DEFAULT_DENY_ID, locateInPolicy } from './compile.ts';
import type { Partition } from './partition.ts';
import {
  buildPartialContext,
  principalEntity,
  resourceEntity,
  resourceLabel,
  resourceUid,
  uid,
} from './request.ts';
import type {
  Decision,
  PolicyAction,
  PolicyPrincipal,
  PolicyRequest,
  PolicyResource,
  VisibilityContext,
} from './types.ts';

export function denied(
  version: string,
  reasons: readonly string[],
  errors: readonly string[] = [],
  policyIds: readonly string[] = [],
): Decision {
  return Object.freeze({ effect: 'deny', policyIds, reasons, errors, version });
}

function noPermit(version: string, req: PolicyRequest): Decision {
  const reason = `no policy permits ${req.action} on ${resourceLabel(req.resource)} for agent ${req.principal.id}`;
  return denied(version, [reason], [], [DEFAULT_DENY_ID]);
}

export function decide(
  set: CompiledSet,
  part: Partition,
  req: PolicyRequest,
  context: Record<string, CedarValueJson>,
): Decision {
  if (part.error !== undefined) return denied(set.version, [FAILED], [`policy set: ${part.error}`]);
  if (!part.hasPermit) return noPermit(set.version, req);
  const answer = statefulIsAuthorized({
    principal: uid('Agent', req.principal.id),
    action: uid('Action', req.action),
    resource: resourceUid(req.resource),
    context,
    entities: [
      principalEntity(req.principal, part.principalAttrs),
      resourceEntity(req.resource, part.resourceAttrs),
    ],
    preparsedPolicySetId: part.setId,
  });
  if (answer.type === 'failure') {
    return denied(
      set.version,
      [FAILED],
      answer.errors.map((e) => redact(e.message)),
    );
  }
  return fromResponse(set, req, answer.response);
}

const FAILED = 'the request could not be evaluated, so it is denied (fail closed)';

function fromResponse(set: CompiledSet, req: PolicyRequest, r: CedarResponse): Decision {
  const errors = r.diagnostics.errors.map((e) => evalError(set, e.policyId, e.error));
  if (errors.length > 0) {
    const ids = r.diagnostics.errors.map((e) => e.policyId);
    return denied(
      set.version,
      [`policy ${ids.join(', ')} could not be evaluated, so the request is denied (fail closed)`],
      errors,
      ids,
    );
  }
  const ids = r.diagnostics.reason;
  if (r.decision === 'allow') {
    const reasons = ids.map((id) => set.byId.get(id)?.reason ?? `permitted by policy ${id}`);
    return Object.freeze({ effect: 'allow', policyIds: ids, reasons, errors: [], version: set.version });
  }
  if (ids.length === 0) return noPermit(set.version, req);
  const what = `${req.action} on ${resourceLabel(req.resource)} for agent ${req.principal.id}`;
  return denied(
    set.version,
    ids.map((id) => set.byId.get(id)?.reason ?? `policy ${id} forbids ${what}`),
    [],
    ids,
  );
}

function evalError(set: CompiledSet, policyId: string, e: DetailedError): string {
  const p = set.byId.get(policyId);
  const where = p === undefined ? '' : ` (${locateInPolicy(p, e.sourceLocations?.[0]?.start)})`;
  return `policy ${policyId}${where}: ${redact(e.message)}`;
}

/** Cedar quotes values and names in messages; argument values must not reach logs verbatim. */
export function redact(message: string): string {
  return message.replace(/`[^`]*`/g, '`…`').replace(/"(?:[^"\\]|\\.)*"/g, '"…"');
}

export function visible(
  part: Partition,
  principal: PolicyPrincipal,
  action: PolicyAction,
  resource: PolicyResource,
  ctx: VisibilityContext | undefined,
): boolean {
  if (part.error !== undefined || !part.hasPermit) return false;
  let built;
  try {
    built = buildPartialContext(ctx);
  } catch {
    return false;
  }
  if (built.issues.length > 0) return false;
  const answer = isAuthorizedPartial({
    principal: uid('Agent', principal.id),
    action: uid('Action', action),
    resource: resourceUid(resource),
    context: built.context,
    entities: [principalEntity(principal, part.principalAttrs), resourceEntity(resource, part.resourceAttrs)],
    policies: { staticPolicies: Object.fromEntries(part.policies.map((p) => [p.id, p.text])) },
  });
  if (answer.type === 'failure') return false;
  return mayAllow(part, answer.response);
}

function mayAllow(part: Partition, r: ResidualResponse): boolean {
  if (r.errored.length > 0 || r.decision === 'deny') return false;
  if (r.decision === 'allow') return true;
  const permits = new Set(part.policies.filter((p) => p.effect === 'permit').map((p) => p.id));
  return [...r.satisfied, ...r.nontrivialResiduals].some((id) => permits.has(id));
}
