import { ConfigError, formatIssues } from '../config/index.ts';
import type { ConfigIssue, WardenConfig } from '../config/index.ts';
import { describeError, newSpanId } from '../core/index.ts';
import type { Logger } from '../core/index.ts';
import type { AuditLog, AuditRecord } from '../audit/index.ts';
import { BwrapLauncher, PlainLauncher, SandboxError, resolveSandboxSettings } from '../sandbox/index.ts';
import type { LaunchEgressEvent, Launcher, SandboxOverrides } from '../sandbox/index.ts';
import { sessionSpanId, traceIdFor } from './monitoring.ts';

/** The agent that owns a front session (whose sandboxed servers made an egress decision). */
export interface EgressOwner {
  readonly agent: string;
  readonly task?: string | undefined;
}

/** An egress decision of a live session's sandbox, once its audit record exists. */
export interface AuditedEgress {
  readonly event: LaunchEgressEvent;
  readonly record: AuditRecord;
  readonly session: string;
  readonly owner: EgressOwner;
}

/** How one stdio server is launched: which launcher, with which sandbox settings. */
export interface ServerLaunch {
  readonly launcher: Launcher;
  /** The server's own settings (LaunchSpec.sandbox); undefined when it runs unsandboxed. */
  readonly sandbox: SandboxOverrides | undefined;
}

/** What the gateway.started audit record says about sandboxing. */
export interface SandboxSummary {
  readonly launcher: Launcher['kind'];
  readonly sandboxed: readonly string[];
  readonly unsandboxed: readonly { readonly server: string; readonly reason: string }[];
}

export interface GatewaySandboxing {
  /** The launcher for sandboxed servers. */
  readonly launcher: Launcher;
  forServer(name: string): ServerLaunch | undefined;
  readonly summary: SandboxSummary;
  /** The launcher's self-test, started at start-up when a server runs sandboxed. */
  readonly selfTest: Promise<void>;
  /**
   * Checks that the sandbox can reach every sandboxed stdio server's program (and bound paths)
   * before any is started; throws ERR_SANDBOX_CONFIG naming the server and path. Called with the
   * final server list: after catalog admission, which fills in the program of `package:` servers
   * and drops the ones it refuses.
   */
  preflight(servers: WardenConfig['servers']): void;
}

/**
 * Validates every server's `sandbox:` block and every `sandbox_profiles:` entry with the sandbox
 * schema. Pure: runs before anything is opened, so a bad block stops start-up with its path.
 */
export function validateSandboxSettings(config: WardenConfig): ReadonlyMap<string, SandboxOverrides | false> {
  const issues: ConfigIssue[] = [];
  const out = new Map<string, SandboxOverrides | false>();
  const opts = { baseDir: config.baseDir, profiles: config.sandboxProfiles };
  for (const [name, raw] of Object.entries(config.sandboxProfiles)) {
    const r = resolveSandboxSettings(raw, { ...opts, where: `sandbox_profiles.${name}` });
    if (!r.ok) issues.push(...r.issues.map((i) => ({ file: config.file, ...i })));
  }
  for (const s of config.servers) {
    if (s.kind !== 'stdio') continue;
    if (s.sandbox === false) {
      out.set(s.name, false);
      continue;
    }
    const r = resolveSandboxSettings(s.sandbox, { ...opts, where: `servers.${s.name}.sandbox` });
    if (r.ok) out.set(s.name, r.value);
    else issues.push(...r.issues.map((i) => ({ file: config.file, ...i })));
  }
  if (issues.length > 0)
    throw new ConfigError('ERR_CONFIG_INVALID', formatIssues('invalid configuration', issues), { issues });
  return out;
}

/**
 * One egress decision as an audit record: whose sandbox, where to, allowed or not, bytes. With
 * the session's owner known, it names the agent and task and joins the session's decision chain
 * (the trace `warden trace TASK|SESSION` shows, under the session's root span).
 */
function egressRecord(
  e: LaunchEgressEvent,
  owner: EgressOwner | undefined,
): Parameters<AuditLog['append']>[0] {
  const session = e.tags['session'];
  const chain =
    session === undefined || owner === undefined
      ? {}
      : {
          principal: owner.agent,
          ...(owner.task === undefined ? {} : { taskId: owner.task }),
          traceId: owner.task === undefined ? traceIdFor('session', session) : traceIdFor('task', owner.task),
          spanId: newSpanId(),
          parentSpanId: sessionSpanId(session),
        };
  return {
    kind: 'egress',
    server: e.tags['server'] ?? e.label,
    ...(session === undefined ? {} : { session }),
    ...chain,
    decision: e.allowed ? 'allow' : 'deny',
    reasons: [e.reason],
    outcome: e.allowed ? 'ok' : 'denied',
    data: {
      host: e.host,
      port: e.port,
      allowed: e.allowed,
      bytesIn: e.bytesIn,
      bytesOut: e.bytesOut,
      via: e.kind,
      sandboxId: e.sandboxId,
    },
  };
}

/**
 * The sandbox side of start-up: one launcher for every sandboxed stdio server (a BwrapLauncher
 * whose egress decisions land in the audit log, unless the caller injected one), a plain
 * launcher for explicit `sandbox: false` opt-outs (warned). Missing bubblewrap stops start-up
 * with the install command; the self-test starts at once and gates the first sandbox launch.
 */
export function setUpSandboxing(
  settings: ReadonlyMap<string, SandboxOverrides | false>,
  deps: {
    readonly launcher?: Launcher | undefined;
    readonly audit: AuditLog;
    readonly logger: Logger;
    /** The agent owning a live front session (undefined once it closed, or before the front). */
    readonly sessionOwner?: ((session: string) => EgressOwner | undefined) | undefined;
    /**
     * Called with each audited egress decision of a live session (the monitor). Runs after the
     * append, off every request's path; whatever it throws is logged, never breaks reporting.
     */
    readonly onEgress?: ((e: AuditedEgress) => void) | undefined;
  },
): GatewaySandboxing {
  const { audit, logger } = deps;
  const report = (e: LaunchEgressEvent): void => {
    const session = e.tags['session'];
    let owner: EgressOwner | undefined;
    try {
      owner = session === undefined ? undefined : deps.sessionOwner?.(session);
    } catch (err) {
      logger.error('egress: session owner lookup failed', { error: describeError(err) });
    }
    audit
      .append(egressRecord(e, owner))
      .then((record) => {
        if (session === undefined || owner === undefined || deps.onEgress === undefined) return;
        try {
          deps.onEgress({ event: e, record, session, owner });
        } catch (err) {
          logger.error('egress observer failed', { error: describeError(err) });
        }
      })
      .catch(() => {});
  };
  const launcher = deps.launcher ?? new BwrapLauncher({ requireSelfTest: true, onEgress: report });
  const plain = new PlainLauncher();
  const sandboxed: string[] = [];
  const unsandboxed: { server: string; reason: string }[] = [];
  for (const [server, s] of settings) {
    if (s === false) {
      unsandboxed.push({ server, reason: 'sandbox: false' });
      logger.warn(
        'server runs UNSANDBOXED (sandbox: false in warden.yaml): it can read and reach whatever Warden can',
        { server },
      );
    } else if (launcher.kind === 'plain') {
      unsandboxed.push({ server, reason: 'plain launcher' });
    } else sandboxed.push(server);
  }
  if (launcher.kind === 'plain' && unsandboxed.some((u) => u.reason === 'plain launcher'))
    logger.warn('the gateway was given a plain launcher: stdio servers run unsandboxed', {
      servers: unsandboxed.map((u) => u.server),
    });
  let selfTest: Promise<void> = Promise.resolve();
  if (sandboxed.length > 0 && launcher instanceof BwrapLauncher) {
    try {
      launcher.hostFacts();
    } catch (e) {
      if (e instanceof SandboxError && e.code === 'ERR_SANDBOX_UNAVAILABLE') {
        throw new SandboxError(
          'ERR_SANDBOX_UNAVAILABLE',
          `servers ${sandboxed.join(', ')} run sandboxed by default, but ${e.message}; or set sandbox: false on a server to run it unsandboxed (not recommended)`,
          { servers: sandboxed },
        );
      }
      throw e;
    }
    selfTest = launcher.selfTestReport().then(
      async (r) => {
        if (r.ok) logger.info('sandbox self-test passed', { uid: r.uid, seccomp: r.seccomp });
        else
          logger.error('sandbox self-test FAILED: sandboxed servers will refuse to start', {
            failed: r.failed,
          });
        await audit
          .append({
            kind: 'sandbox.self-test',
            outcome: r.ok ? 'ok' : 'error',
            data: {
              ok: r.ok,
              failed: r.failed,
              uid: r.uid,
              seccomp: r.seccomp,
              cgroups: r.cgroupControllers,
            },
          })
          .catch(() => {});
      },
      (e: unknown) => logger.error('sandbox self-test could not run', { error: (e as Error).message }),
    );
  }
  return {
    preflight(servers) {
      if (!(launcher instanceof BwrapLauncher)) return;
      for (const c of servers) {
        const s = settings.get(c.name);
        if (c.kind !== 'stdio' || s === undefined || s === false) continue;
        launcher.preflight({
          command: c.command,
          args: c.args,
          env: c.env,
          cwd: c.cwd,
          label: c.name,
          sandbox: s,
        });
      }
    },
    forServer(name) {
      const s = settings.get(name);
      if (s === undefined) return undefined;
      return s === false ? { launcher: plain, sandbox: undefined } : { launcher, sandbox: s };
    },
    launcher,
    summary: { launcher: launcher.kind, sandboxed, unsandboxed },
    selfTest,
  };
}
