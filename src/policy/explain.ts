/** Human text for `warden policy check`: what was asked, what decided, and why. */
import type { PolicyEngine } from './engine.ts';
import { resourceLabel } from './request.ts';
import type { Decision, PolicyRequest } from './types.ts';

export function explain(decision: Decision, req: PolicyRequest, engine?: PolicyEngine): string {
  const roles = req.principal.roles.length > 0 ? req.principal.roles.join(', ') : 'none';
  const lines = [
    `${decision.effect.toUpperCase()}: ${req.action} ${resourceLabel(req.resource)} by agent ${req.principal.id} (roles: ${roles})`,
  ];
  const where = new Map(
    (engine?.policies ?? []).map((p) => [p.id, `${p.effect} at ${p.file}:${p.line}:${p.column}`]),
  );
  if (decision.policyIds.length > 0) {
    lines.push('deciding policies:');
    for (const id of decision.policyIds) {
      const at = where.get(id);
      lines.push(`  - ${id}${at === undefined ? '' : ` (${at})`}`);
    }
  }
  lines.push('reasons:', ...decision.reasons.map((r) => `  - ${r}`));
  if (decision.errors.length > 0) lines.push('errors:', ...decision.errors.map((e) => `  - ${e}`));
  if (
    decision.effect === 'deny' &&
    decision.errors.length === 0 &&
    decision.policyIds.length <= 1 &&
    decision.reasons[0]?.startsWith('no policy permits')
  ) {
    lines.push('note: Warden denies by default; add a permit policy that matches this request to allow it.');
  }
  lines.push(`policy set: ${decision.version}`);
  return lines.join('\n');
}
