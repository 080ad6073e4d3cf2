import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { MemoryLogger } from '../../../src/core/index.ts';
import { countOccurrences } from '../../../src/secrets/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const VALUE = `wdn-remote-${randomBytes(15).toString('base64url')}`;
const SECRETS = [{ name: 'REMOTE_TOKEN', value: VALUE }];
const POLICY = `permit (principal in Warden::Role::"tester", action, resource);`;

/** A remote MCP server (SDK, stateless Streamable HTTP) that records Authorization and echoes it. */
async function remote(): Promise<{ server: Server; auth: string[]; url: string }> {
  const auth: string[] = [];
  const server = createServer((req, res) => {
    const a = String(req.headers.authorization ?? '');
    auth.push(a);
    const mcp = new McpServer({ name: 'remote', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'Echo the credential it was called with.' }, () => ({
      content: [{ type: 'text', text: `called with ${a}` }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    void mcp.connect(transport).then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, auth, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` };
}

describe('remote servers: the gateway attaches the secret as an upstream header', () => {
  let t: TestGateway;
  let client: Client;
  let r: Awaited<ReturnType<typeof remote>>;
  const logs = new MemoryLogger();

  before(async () => {
    r = await remote();
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      start: { logger: logs },
      yaml: () =>
        [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  api:',
          `    url: ${r.url}`,
          '    secrets:',
          '      headers: { Authorization: "Bearer ${REMOTE_TOKEN}" }',
          '  anon:',
          `    url: ${r.url}`,
        ].join('\n'),
    });
    await t.gw.services.secrets!.store.set('REMOTE_TOKEN', VALUE);
    await t.gw.services.secrets!.broker.reloadStore();
    client = await t.client(await t.agent('alice', ['tester']));
  });
  after(async () => {
    await t.cleanup();
    r.server.close();
  });

  it('CD-1/SB-5: the upstream gets the header, never the agent token; its echo is redacted', async () => {
    const out = JSON.stringify(await client.callTool({ name: 'api.whoami', arguments: {} }));
    assert.ok(r.auth.includes(`Bearer ${VALUE}`), 'the remote server received the secret header');
    assert.match(out, /called with Bearer \[REDACTED:secret:REMOTE_TOKEN\]/);
    assert.equal(countOccurrences([out, logs.text()], SECRETS).total, 0);
  });

  it('a remote server that does not ask for the secret never receives it', async () => {
    const before = r.auth.length;
    const out = JSON.stringify(await client.callTool({ name: 'anon.whoami', arguments: {} }));
    assert.match(out, /called with "/);
    assert.ok(r.auth.slice(before).every((a) => a === ''));
  });
});
