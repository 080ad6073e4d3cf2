import type { CallSignal } from './cancel.ts';
import { chownSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DelegateCommandConfig } from '../config/index.ts';
import { isAppError } from '../core/index.ts';
import { parseGrantFlags, parseTask, parseTtl } from '../identity/index.ts';
import type { Identity } from '../identity/index.ts';
import { applyTrustLabel, labelContent } from '../monitor/index.ts';
import type { ContentLabel, Verdict } from '../monitor/index.ts';
import { BwrapLauncher } from '../sandbox/index.ts';
import type { ExposedTool } from './catalog.ts';
import { CONTINUE } from './pipeline.ts';
import type { CallContext, StepResult } from './pipeline.ts';
import type { FrontSession } from './session.ts';

/** Built-in tools live under the reserved server name `warden` (no upstream can take it, SH-4). */
export const BUILTIN_SERVER = 'warden';
const MAX_OUTPUT = 64 * 1024;
const SANDBOX_UID = 65534;

const DELEGATE_DEF: Readonly<Record<string, unknown>> = Object.freeze({
  name: 'warden.delegate',
  description:
    'Start a sub-agent for a sub-task in a fresh sandbox with a narrower token (a subset of your own grant). Returns its output as untrusted data.',
  inputSchema: {
    type: 'object',
    properties: {
      task: { type: 'string', description: 'the sub-task, handed to the sub-agent as WARDEN_TASK' },
      tools: {
        type: 'array',
        items: { type: 'string' },
        description: "tools the sub-agent may call, as server.pattern (e.g. 'fs.read_*'); within your grant",
      },
      args: {
        type: 'array',
        items: { type: 'string' },
        description: "argument constraints, e.g. 'fs.read_text_file.path=/workspace/**'",
      },
      ttl: { type: 'string', description: 'token lifetime, e.g. 90s or 5m (at most your own)' },
    },
    required: ['task', 'tools'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: false, openWorldHint: true },
});

/** The sub-agent configuration for this caller: the first `identity.delegate` role it holds. */
function delegateConfig(session: FrontSession): DelegateCommandConfig | undefined {
  return session.services.config.identity.delegate.find((d) => session.principal.roles.includes(d.role));
}

/**
 * Built-in tools this session may be shown (still filtered by grant AND policy like any tool):
 * `warden.delegate` for a caller holding a task token whose role has a sub-agent configured.
 */
export function builtinTools(session: FrontSession): ExposedTool[] {
  if (session.principal.grant === undefined || delegateConfig(session) === undefined) return [];
  return [{ exposed: 'warden.delegate', server: BUILTIN_SERVER, name: 'delegate', def: DELEGATE_DEF }];
}

/** The forward step for built-in tools: runs after grant, policy and the durable "decided" record. */
export async function forwardBuiltin(ctx: CallContext): Promise<StepResult> {
  const r = await delegate(ctx);
  ctx.result = r.output;
  if (r.origin !== undefined) {
    ctx.interAgent = r.origin;
    // With the monitor on, its label step labels the output (after inspecting it for injection);
    // without it the output is labelled here: a sub-agent's output is never unlabelled (PI-1).
    if (ctx.session.services.monitor === undefined)
      ctx.result = applyTrustLabel(r.output, interAgentLabel(r.origin), { frameText: true });
  }
  ctx.outcome = (ctx.result as { isError?: boolean }).isError === true ? 'error' : 'ok';
  return CONTINUE;
}

/** The label of another agent's output: `agent:<name>`, untrusted (suspicious on an injection finding). */
export function interAgentLabel(agent: string, injectionVerdict?: Verdict): ContentLabel {
  return labelContent({
    server: agent,
    tool: 'delegate',
    trustedServers: [],
    isInterAgent: true,
    ...(injectionVerdict === undefined ? {} : { injectionVerdict }),
  });
}

function failure(message: string): { readonly output: Record<string, unknown> } {
  return { output: { content: [{ type: 'text', text: message }], isError: true } };
}

/**
 * `warden.delegate`: narrows the caller's token to the requested sub-grant (token exchange: the
 * configured sub-agent identity as actor, or the caller's own token attenuated), runs the role's
 * sub-agent command in a fresh sandbox holding only that token (MCP config file + env, egress to
 * the gateway only, plus the role's allow-list), revokes the token when it exits and returns its
 * output with the agent it came from, to be labelled untrusted (`_meta['warden/trust']`, text
 * framed as data) by `forwardBuiltin` or the monitor's label step.
 */
async function delegate(
  ctx: CallContext,
): Promise<{ readonly output: Record<string, unknown>; readonly origin?: string }> {
  const { session } = ctx;
  const cfg = delegateConfig(session);
  const id = session.services.identity;
  const bearer = /^Bearer +(\S+)$/i.exec(session.authorization ?? '')?.[1];
  if (cfg === undefined || id === undefined || bearer === undefined)
    return failure('delegation refused: no sub-agent is configured for your role');
  const a = ctx.args ?? {};
  let issued;
  let task: string;
  try {
    task = parseTask(a.task);
    const tools = stringList(a.tools, 'tools');
    const args = a.args === undefined ? [] : stringList(a.args, 'args');
    if (a.ttl !== undefined && typeof a.ttl !== 'string') throw new TypeError('ttl must be a string');
    const grant = parseGrantFlags({ tools, args, expiresAt: Number.MAX_SAFE_INTEGER });
    const actor = cfg.agent === undefined ? session.principal.agentId : (await id.registry.get(cfg.agent)).id;
    issued = await id.tokens.exchange({
      subjectToken: bearer,
      actorAgentId: actor,
      grant: { id: grant.id, tools: grant.tools, ...(grant.args ? { args: grant.args } : {}) },
      task,
      ...(typeof a.ttl === 'string' ? { ttlSec: parseTtl(a.ttl) } : {}),
      ...(cfg.agent === undefined ? { attenuate: true } : {}),
    });
  } catch (e) {
    if (isAppError(e) || e instanceof TypeError) return failure(`delegation refused: ${e.message}`);
    throw e;
  }
  const output = await runSubAgent(cfg, id, issued.token, task, session, ctx.signal).finally(() =>
    id.tokens.revoke({ jti: issued.claims.jti }).catch(() => 0),
  );
  return {
    origin: cfg.agent ?? session.principal.agentName,
    output: {
      content: [{ type: 'text', text: output.text }],
      ...(output.code === 0 ? {} : { isError: true }),
    },
  };
}

function stringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string') || v.length > 64)
    throw new TypeError(`${name} must be a list of strings`);
  return v;
}

async function runSubAgent(
  cfg: DelegateCommandConfig,
  id: Identity,
  token: string,
  task: string,
  session: FrontSession,
  signal: CallSignal,
): Promise<{ code: number; text: string }> {
  const url = id.config.resource;
  const dir = mkdtempSync(join(tmpdir(), 'warden-delegate-'));
  const asRoot = process.getuid?.() === 0;
  const write = (name: string, text: string): void => {
    const tmp = join(dir, `.${name}`);
    writeFileSync(tmp, text, { mode: 0o600 });
    if (asRoot) chownSync(tmp, SANDBOX_UID, SANDBOX_UID);
    renameSync(tmp, join(dir, name));
  };
  try {
    if (asRoot) chownSync(dir, SANDBOX_UID, SANDBOX_UID);
    write('token', token + '\n');
    write(
      'mcp.json',
      JSON.stringify({
        mcpServers: { warden: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } },
      }) + '\n',
    );
    const gw = new URL(url);
    const host = gw.hostname === 'localhost' ? '127.0.0.1' : gw.hostname;
    const launcher = new BwrapLauncher({
      profile: {
        workspace: cfg.workspace === undefined ? { mode: 'none' } : { mode: 'bind', path: cfg.workspace },
        readOnlyPaths: [dir],
        egress: {
          allowHosts: [`${host}:${gw.port || (gw.protocol === 'https:' ? 443 : 80)}`, ...cfg.allowHosts],
        },
      },
    });
    const p = await launcher.launch({
      command: cfg.command,
      args: cfg.args,
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        WARDEN_MCP_CONFIG: join(dir, 'mcp.json'),
        WARDEN_TOKEN_FILE: join(dir, 'token'),
        WARDEN_GATEWAY_URL: url,
        WARDEN_TASK: task,
      },
      ...(cfg.workspace === undefined ? {} : { cwd: '/workspace' }),
      label: `delegate:${session.principal.agentName}`,
    });
    p.stdin.end();
    let out = '';
    p.stdout.on('data', (c: Buffer) => {
      if (out.length < MAX_OUTPUT) out += c.toString('utf8');
    });
    p.stderr.resume();
    const timer = setTimeout(() => void p.stop(), cfg.timeoutMs);
    const onAbort = (): void => void p.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    const status = await p.exited;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    return { code: status.code ?? 1, text: out.slice(0, MAX_OUTPUT) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
