import { RpcCode } from '../jsonrpc.ts';
import { CONTINUE, stop } from '../pipeline.ts';
import type { CallContext, StepResult } from '../pipeline.ts';
import { scrubAndFindSecrets } from '../secrets-redact.ts';

/**
 * Exfiltration check on the way in (issue 5 part 6, EX-2, SB-2): arguments that carry a known
 * secret, in any encoding the redactor knows, are refused before policy runs, so an agent tricked
 * into passing a credential to a tool is stopped. The refusal is audited with the secret's name
 * and HMAC fingerprint, never its value; the arguments kept for the audit record are redacted
 * (known values and pattern rules) whatever the outcome.
 */
export async function exfil(ctx: CallContext): Promise<StepResult> {
  const { services } = ctx.session;
  const secrets = services.secrets;
  if (secrets === undefined || ctx.args === undefined) return CONTINUE;
  // One walk: the redacted audit copy and the names of known secrets in the arguments.
  const checked = scrubAndFindSecrets(secrets.redactor(), ctx.args);
  ctx.auditArgs = checked.value;
  const names = checked.secrets;
  if (names.length === 0) return CONTINUE;
  ctx.outcome = 'denied';
  ctx.errorCode = 'ERR_SECRET_EXFIL';
  const fingerprints = secrets.fingerprints(names);
  services.logger.warn('refused a call carrying a known secret', {
    server: ctx.target?.server,
    tool: ctx.target?.name,
    secrets: names,
  });
  try {
    await services.audit.append({
      kind: 'secret.exfil',
      principal: ctx.session.principal.agentName,
      session: ctx.session.id,
      method: ctx.method,
      server: ctx.target?.server,
      tool: ctx.target?.name,
      decision: 'deny',
      outcome: 'denied',
      errorCode: 'ERR_SECRET_EXFIL',
      data: { secrets: names, fingerprints },
    });
  } catch {
    // the call is refused either way; the "rejected" record still tries to say so
  }
  return stop(
    RpcCode.FORBIDDEN,
    `Forbidden: the arguments contain a secret held by Warden (${names.join(', ')}); secrets never go to tools as arguments`,
    { code: 'ERR_SECRET_EXFIL', secrets: names },
  );
}
