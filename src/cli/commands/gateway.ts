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
      const gw = await startGateway(cfg, { logger });
      process.stderr.write(
        `warden gateway listening on ${gw.url} (policies ${gw.services.policy.version.slice(0, 19)}…, ${cfg.servers.length} servers, store ${gw.store.location})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stderr.write('warden gateway stopping\n');
      await gw.close();
    });
}
