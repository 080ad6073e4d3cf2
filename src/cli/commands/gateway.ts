import type { Command } from 'commander';
import { startGateway } from '../../gateway/index.ts';
import { config } from '../context.ts';
import { pinoLogger } from '../logger.ts';
import type { GlobalOptions } from '../output.ts';

export function register(program: Command): void {
  program
    .command('gateway')
    .description('run the MCP gateway (Streamable HTTP at http://127.0.0.1:7420/mcp by default)')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const cfg = config(opts);
      const logger = pinoLogger(cfg.logging.level);
      let fatal: string | undefined;
      let wake: (() => void) | undefined;
      const gw = await startGateway(cfg, {
        logger,
        onFatal: (reason) => {
          fatal = reason;
          wake?.();
        },
      });
      process.stderr.write(
        `warden gateway listening on ${gw.url} (policies ${gw.services.policy.version.slice(0, 19)}…, ${cfg.servers.length} servers, store ${gw.store.location})\n`,
      );
      const sb = gw.services.sandboxing?.summary;
      if (sb !== undefined && sb.sandboxed.length + sb.unsandboxed.length > 0)
        process.stderr.write(
          `sandboxed (${sb.launcher}): ${sb.sandboxed.join(', ') || 'none'}; UNSANDBOXED: ${sb.unsandboxed.map((u) => `${u.server} (${u.reason})`).join(', ') || 'none'}\n`,
        );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        wake = stop;
      });
      process.stderr.write(
        fatal === undefined
          ? 'warden gateway stopping\n'
          : `warden gateway stopping: the audit log failed (${fatal}); restart once the store is healthy\n`,
      );
      await gw.close().catch(() => {});
      if (fatal !== undefined) process.exitCode = 1;
    });
}
