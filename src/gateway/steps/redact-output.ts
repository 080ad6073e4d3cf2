import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';
import { rulesOf, scrub } from '../secrets-redact.ts';

/**
 * After forward: the upstream's result (text, structuredContent, resource contents, prompt
 * messages) is redacted (SB-1, SB-2), or withheld when the server is set to `on_secret: block`.
 * Each finding is audited by rule and, for known secrets, by fingerprint.
 */
export async function redactOutput(ctx: CallContext): Promise<StepResult> {
  const { services } = ctx.session;
  const secrets = services.secrets;
  if (secrets === undefined || ctx.result === undefined || ctx.target === undefined) return CONTINUE;
  let r: ReturnType<typeof scrub>;
  try {
    r = scrub(secrets.redactor(), ctx.result);
  } catch {
    // fail closed: a result too deeply nested to check is not returned
    ctx.result = undefined;
    ctx.outcome = 'error';
    ctx.errorCode = 'ERR_SECRET_UNCHECKABLE';
    return stop(RpcCode.FORBIDDEN, 'Forbidden: the result is too deeply nested to check for secrets', {
      code: 'ERR_SECRET_UNCHECKABLE',
    });
  }
  if (r.findings.length === 0) return CONTINUE;
  ctx.secretFindings = r.findings.length; // for the monitor's output-anomaly detector
  const server = services.config.servers.find((s) => s.name === ctx.target!.server);
  const block = server?.onSecret === 'block';
  const rules = rulesOf(r.findings);
  const names = rules.filter((x) => x.startsWith('secret:')).map((x) => x.slice('secret:'.length));
  services.logger.warn(block ? 'withheld a result holding a secret' : 'redacted a secret from a result', {
    server: ctx.target.server,
    tool: ctx.target.name,
    rules,
  });
  await services.audit
    .append({
      kind: 'secret.redacted',
      principal: ctx.session.principal.agentName,
      session: ctx.session.id,
      method: ctx.method,
      server: ctx.target.server,
      tool: ctx.target.name,
      outcome: block ? 'denied' : 'ok',
      data: { action: block ? 'block' : 'redact', rules, fingerprints: secrets.fingerprints(names) },
    })
    .catch(() => {});
  if (!block) {
    ctx.result = r.value;
    return CONTINUE;
  }
  ctx.result = undefined;
  ctx.outcome = 'denied';
  ctx.errorCode = 'ERR_SECRET_IN_OUTPUT';
  return stop(
    RpcCode.FORBIDDEN,
    `Forbidden: the result from ${ctx.target.server} contained a secret and was withheld (on_secret: block)`,
    { code: 'ERR_SECRET_IN_OUTPUT', rules },
  );
}
