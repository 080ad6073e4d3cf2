/**
 * A remote (Streamable HTTP) upstream whose answer breaks off mid-body: the caller gets a clean
 * JSON-RPC error at once (never a hang), the gateway stays up, and the next call works.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const POLICY = `@id("up-all")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource in Warden::Server::"up");
`;

/** A minimal MCP server over HTTP: tool `ok` answers, tool `cut` sends half a body and hangs up. */
function upstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const m = JSON.parse(body) as { id?: number; method: string; params?: { name?: string } };
      if (m.id === undefined) return void res.writeHead(202).end();
      const reply = (result: unknown): void => {
        const text = JSON.stringify({ jsonrpc: '2.0', id: m.id, result });
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'up-1' }).end(text);
      };
      if (m.method === 'initialize')
        return reply({
          protocolVersion: '2025-06-18',
          capabilities: { tools: {} },
          serverInfo: { name: 'up', version: '1' },
        });
      if (m.method === 'tools/list')
        return reply({
          tools: ['ok', 'cut'].map((name) => ({
            name,
            description: `tool ${name}`,
            inputSchema: { type: 'object' },
          })),
        });
      if (m.params?.name === 'cut') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
        res.write(`{"jsonrpc":"2.0","id":${m.id},"result":{"content":[`);
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      return reply({ content: [{ type: 'text', text: 'fine' }] });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp` }),
    ),
  );
}

describe('remote upstream answers that break off', () => {
  let t: TestGateway;
  let up: { server: Server; url: string };
  let client: Client;

  before(async () => {
    up = await upstream();
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: () =>
        ['version: 1', 'gateway:', '  listen: 127.0.0.1:0', 'servers:', '  up:', `    url: ${up.url}`].join(
          '\n',
        ),
    });
    client = await t.client(await t.agent('alice', ['tester']));
  });
  after(async () => {
    await t.cleanup();
    up.server.closeAllConnections();
    up.server.close();
  });

  it('a body cut short gives the caller an error, not a hang; the next call works', async () => {
    const started = Date.now();
    await assert.rejects(client.callTool({ name: 'up.cut', arguments: {} }), (e: unknown) => {
      assert.match((e as Error).message, /upstream/i);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'the error came before the call timeout');
    const r = await client.callTool({ name: 'up.ok', arguments: {} });
    assert.deepEqual(r.content, [{ type: 'text', text: 'fine' }]);
  });
});
