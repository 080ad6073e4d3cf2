import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WardenConfig } from '../config/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import { silentLogger, systemClock } from '../core/index.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { AuditLog, loadOrCreateAuditKeys } from '../audit/index.ts';
import { PolicyEngine } from '../policy/index.ts';
import type { AgentRegistry, Authenticator, Identity } from '../identity/index.ts';
import { mountIdentityRoutes, openIdentity } from './identity-routes.ts';
import { SandboxError } from '../sandbox/index.ts';
import type { Launcher } from '../sandbox/index.ts';
import { setUpSandboxing, validateSandboxSettings } from './sandboxing.ts';
import { HttpFront } from './http-front.ts';
import { METRICS_CONTENT_TYPE, WardenMetrics } from '../monitor/index.ts';
import { closeUpstreamPools } from './upstream/http-transport.ts';
import type { GatewayServices } from './services.ts';
import { GatewaySecrets } from './secrets.ts';
import { createRedactor, redactingLogger } from '../secrets/index.ts';
import type { Redactor } from '../secrets/index.ts';
import { SupplyGuard } from './supply.ts';
import { admitFromCatalog } from './admission.ts';
import { monitorEgress, startMonitoring } from './monitoring.ts';
import type { GatewayMonitor } from './monitoring.ts';

export interface StartOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /**
   * The launcher for sandboxed stdio servers. Default: a BwrapLauncher (self-tested before its
   * first launch, egress decisions audited). A plain launcher runs them unsandboxed (warned and
   * recorded in gateway.started); `sandbox: false` servers always run plain.
   */
  readonly launcher?: Launcher;
  /** Watch the policies directory and hot-reload (default true). */
  readonly watchPolicies?: boolean;
  /**
   * Called once if the audit log fails a commit (disk full, EIO, store gone). Every later call
   * is refused anyway; the process root should stop and restart (THREATS AU-7: no "retry and
   * carry on").
   */
  readonly onFatal?: (reason: string) => void;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly services: GatewayServices;
  readonly front: HttpFront;
  readonly store: Store;
  readonly registry: AgentRegistry;
  /** Agents, signing keys, tokens and revocations (issue 4). */
  readonly identity: Identity;
  close(): Promise<void>;
}

export function wardenVersion(): string {
  const pkg = fileURLToPath(new URL('../../../package.json', import.meta.url));
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    // from the source tree (tsx): one level less
    const src = fileURLToPath(new URL('../../package.json', import.meta.url));
    return (JSON.parse(readFileSync(src, 'utf8')) as { version: string }).version;
  }
}

/**
 * Opens the store, audit log, policy engine and identity, then listens. Every piece that
 * cannot start stops start-up with its own clear error (an invalid policy, an unreadable
 * audit key, a store that cannot be opened); nothing starts half-configured.
 */
export async function startGateway(
  config: WardenConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  // Every log line passes the secret redactor: pattern rules from the start, known values once
  // the broker is open (STYLE.md Logging).
  let secrets: GatewaySecrets | undefined;
  const early: Redactor = createRedactor({ values: [], patterns: true });
  const logger =
    options.logger === undefined
      ? silentLogger
      : redactingLogger(options.logger, () => secrets?.redactor() ?? early);
  const clock = options.clock ?? systemClock;
  const sandboxSettings = validateSandboxSettings(config);
  const policy = await PolicyEngine.load(config.policiesDir, { logger: logger.child({ module: 'policy' }) });
  const store = await openStore({ url: config.store.url, dataDir: config.dataDir });
  let audit: AuditLog | undefined;
  let stopWatch: (() => void) | undefined;
  let monitoring: GatewayMonitor | undefined;
  let stopMaintenance: (() => void) | undefined;
  let front: HttpFront | undefined;
  try {
    audit = await AuditLog.open(store, {
      keys: loadOrCreateAuditKeys(config.dataDir),
      clock,
      logger: logger.child({ module: 'audit' }),
      checkpointEvery: { records: config.audit.checkpointEveryRecords, ms: config.audit.checkpointEveryMs },
      offThread: true,
      onFailure: (e: unknown) => {
        logger.error('audit log failed: refusing every call until restart', { error: (e as Error).message });
        options.onFatal?.((e as Error).message);
      },
    });
    secrets = await GatewaySecrets.open({
      config,
      db: store,
      logger: logger.child({ module: 'secrets' }),
      clock,
    });
    const sandboxLog = logger.child({ module: 'sandbox' });
    // Egress decisions join the decision chain of the session whose sandbox made them (issue 7):
    // the front and the monitor start later; these look them up when a decision is reported.
    const sandboxing = setUpSandboxing(sandboxSettings, {
      launcher: options.launcher,
      audit,
      logger: sandboxLog,
      sessionOwner: (id) => {
        const p = front?.sessions.get(id)?.principal;
        return p === undefined ? undefined : { agent: p.agentName, task: p.taskId };
      },
      onEgress: (o) => {
        if (monitoring !== undefined) monitorEgress(monitoring, o, sandboxLog);
      },
    });
    const launcher = sandboxing.launcher;
    // Signed catalog (issue 6): with catalog.enforce only admitted, verified servers exist.
    const admission = config.catalog.enforce
      ? await admitFromCatalog(config, { launcher, logger: logger.child({ module: 'catalog' }) })
      : undefined;
    for (const r of admission?.refused ?? [])
      await audit.append({
        kind: 'catalog.refused',
        server: r.server,
        decision: 'deny',
        errorCode: r.code,
        reasons: [r.reason],
      });
    // Only now is every server's program known (catalog `package:` servers get theirs from
    // admission): a sandbox that cannot reach one stops start-up before anything launches.
    try {
      sandboxing.preflight((admission?.config ?? config).servers);
    } catch (e) {
      // A catalog package under the (0700) data directory: say which setting moves it.
      const dir = config.catalog.packagesDir;
      if (e instanceof SandboxError && e.message.includes(dir))
        throw new SandboxError(
          e.code,
          `${e.message}; catalog packages are installed in ${dir}: set catalog.packages_dir to a directory the sandbox uid can search (e.g. /opt/warden/packages)`,
        );
      throw e;
    }
    // Tool supply chain (issue 6): pins and flags in the same store, shared by replicas.
    const supply = await SupplyGuard.open(store, {
      servers: (admission?.config ?? config).servers,
      audit,
      logger: logger.child({ module: 'supply' }),
      catalog: admission?.catalog,
    });
    const metrics = new WardenMetrics();
    monitoring = await startMonitoring(config, { store, audit, metrics, logger, clock });
    // The token audience is the public URL, known only once listening when the port is 0:
    // identity is built right after listen, and requests wait for it (never bypass it).
    let identityReady: (id: Identity) => void = () => {};
    const identityPromise = new Promise<Identity>((r) => (identityReady = r));
    const ready: { id?: Identity } = {};
    const authenticator: Authenticator = {
      authenticate: async (header) =>
        (ready.id ?? (await identityPromise)).authenticator.authenticate(header),
    };
    const services: GatewayServices = {
      config: admission?.config ?? config,
      launcher,
      sandboxing,
      authenticator,
      policy,
      audit,
      logger,
      clock,
      version: wardenVersion(),
      metrics,
      monitor: monitoring,
      secrets,
      supply,
      get identity() {
        return ready.id;
      },
    };
    await secrets.startRotation(audit, clock);
    if (options.watchPolicies !== false) {
      const a = audit;
      stopWatch = policy.watch((r) => {
        void a
          .append({
            kind: 'policy.reload',
            outcome: r.ok ? 'ok' : 'error',
            data: r.ok ? { version: r.version } : { message: r.message },
          })
          .catch(() => {});
      });
    }
    front = new HttpFront(services);
    const f = front;
    // Prometheus scrape endpoint: authenticated like every route, and only for agents with the
    // `metrics` role (the series name servers and tools).
    f.routes.set('/metrics', (_req, res, principal) => {
      if (principal === undefined || !principal.roles.includes('metrics')) {
        res
          .writeHead(403, { 'Content-Type': 'text/plain' })
          .end('Forbidden: /metrics needs an agent with the metrics role\n');
        return;
      }
      res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE }).end(services.metrics.render());
    });
    const { url, port } = await f.listen();
    const id = await openIdentity(store, config, f.publicUrl, clock);
    ready.id = id;
    identityReady(id);
    mountIdentityRoutes(f, id);
    await id.maintain();
    const maintenance = setInterval(() => {
      id.maintain().catch((e: unknown) =>
        logger.warn('identity maintenance failed', { error: (e as Error).message }),
      );
    }, 60_000);
    maintenance.unref();
    stopMaintenance = () => clearInterval(maintenance);
    await audit.append({
      kind: 'gateway.started',
      data: {
        url,
        policyVersion: policy.version,
        servers: services.config.servers.map((s) => s.name),
        sandbox: sandboxing.summary,
      },
    });
    logger.info('gateway listening', { url, policyVersion: policy.version });
    const a = audit;
    const m = monitoring;
    return {
      url,
      port,
      services,
      front: f,
      store,
      registry: id.registry,
      identity: id,
      async close() {
        stopWatch?.();
        stopMaintenance?.();
        secrets?.close();
        await f.close();
        await m?.close();
        await closeUpstreamPools();
        await sandboxing.selfTest;
        await a.append({ kind: 'gateway.stopped' }).catch(() => {});
        await a.close();
        await store.close();
      },
    };
  } catch (e) {
    stopWatch?.();
    stopMaintenance?.();
    secrets?.close();
    await front?.close().catch(() => {});
    await monitoring?.close().catch(() => {});
    await audit?.close().catch(() => {});
    await store.close().catch(() => {});
    throw e;
  }
}
