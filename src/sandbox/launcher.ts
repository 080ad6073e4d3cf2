import type { Readable, Writable } from 'node:stream';
import type { SandboxOverrides } from './profile.ts';
import type { EgressRewrite } from './egress/proxy.ts';

/**
 * The launcher port: the only way Warden starts a process. The gateway asks a launcher for
 * each stdio upstream; `PlainLauncher` spawns directly, the bubblewrap launcher runs the
 * process in a disposable sandbox. Nothing here ever goes through a shell.
 */
export interface LaunchSpec {
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
  /** The complete environment: nothing is inherited from Warden's own environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
  /** A label for logs and audit (server name, agent name). */
  readonly label: string;
  /**
   * Per-launch sandbox settings (workspace, egress allow-list, read-only paths, limits) merged
   * over the sandboxing launcher's profile. Ignored by PlainLauncher.
   */
  readonly sandbox?: SandboxOverrides | undefined;
  /**
   * Copied onto every egress event of this launch (the gateway tags `server` and `session`, so
   * its audit records say whose sandbox made the connection). Ignored by PlainLauncher.
   */
  readonly tags?: Readonly<Record<string, string>> | undefined;
  /**
   * Rewrites (or refuses) each plain-HTTP request through this sandbox's egress proxy, and HTTPS
   * to the hosts its `binds` names (intercepted with a per-sandbox CA, trusted inside through
   * NODE_EXTRA_CA_CERTS and SSL_CERT_FILE): the secret broker swaps placeholders for real values
   * here (CD-5). Only sandboxing launchers honour it; a caller that needs it must refuse a
   * launcher of kind 'plain'.
   */
  readonly egressRewrite?: EgressRewrite | undefined;
}

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LaunchedProcess {
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once, when the process (and its sandbox) is gone. */
  readonly exited: Promise<ExitStatus>;
  /** Terminates the process (SIGTERM, then SIGKILL after `graceMs`) and destroys its sandbox. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

export interface Launcher {
  readonly kind: 'plain' | 'bubblewrap';
  launch(spec: LaunchSpec): Promise<LaunchedProcess>;
}
