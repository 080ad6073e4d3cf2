import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AppError } from '../../core/index.ts';
import { readEnv } from '../../config/index.ts';

class ConnectError extends AppError<'ERR_CONNECT_CREDENTIAL' | 'ERR_CONNECT_URL'> {}

/**
 * The stdio front: for MCP clients that can only launch stdio servers. It relays JSON-RPC
 * between this process's stdin/stdout and a running gateway over Streamable HTTP, with the
 * agent's credential from WARDEN_CREDENTIAL (never from argv, where `ps` would show it).
 */
export function register(program: Command): void {
  program
    .command('connect')
    .description(
      'stdio bridge to a running gateway, for clients that only launch stdio servers (credential in WARDEN_CREDENTIAL)',
    )
    .option('--url <url>', "the gateway's /mcp URL", 'http://127.0.0.1:7420/mcp')
    .action(async (o: { url: string }) => {
      const credential = readEnv('WARDEN_CREDENTIAL');
      if (credential === undefined) {
        throw new ConnectError(
          'ERR_CONNECT_CREDENTIAL',
          'set WARDEN_CREDENTIAL to the agent credential (from `warden agent create`)',
        );
      }
      let url: URL;
      try {
        url = new URL(o.url);
      } catch {
        throw new ConnectError('ERR_CONNECT_URL', `--url is not a URL: ${o.url}`);
      }
      const upstream = new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { Authorization: `Bearer ${credential}` } },
      });
      const local = new StdioServerTransport();
      await new Promise<void>((resolve) => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          void upstream.close().catch(() => {});
          void local.close().catch(() => {});
          resolve();
        };
        local.onmessage = (m) => {
          upstream.send(m).catch((e: unknown) => {
            process.stderr.write(`warden connect: ${(e as Error).message}\n`);
            const id = (m as { id?: unknown }).id;
            if (id !== undefined) {
              void local.send({
                jsonrpc: '2.0',
                id: id as string | number,
                error: { code: -32011, message: `gateway unreachable: ${(e as Error).message}` },
              });
            }
          });
        };
        upstream.onmessage = (m) => void local.send(m).catch(finish);
        local.onclose = finish;
        upstream.onerror = (e) => process.stderr.write(`warden connect: ${e.message}\n`);
        void upstream.start().then(() => local.start());
      });
    });
}
