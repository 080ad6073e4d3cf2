import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';

const POLICY = `
@id("reader-fs-read")
permit (principal in Warden::Role::"reader", action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
when { ["read_text_file", "list_directory", "list_allowed_directories"].contains(resource.name) };

@id("reader-memory")
permit (principal in Warden::Role::"reader", action == Warden::Action::"call_tool", resource in Warden::Server::"memory")
when { resource.name like "read_*" || resource.name == "search_nodes" };

@id("writer-memory")
permit (principal in Warden::Role::"writer", action == Warden::Action::"call_tool", resource in Warden::Server::"memory");

@id("no-secrets")
@reason("files named secret are off limits")
forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
when { context.args has path && context.args.path like "*secret*" };
`;

describe('gateway end to end with real npm MCP servers and the official SDK client', () => {
  let t: TestGateway;
  let readerKey: string;
  let writerKey: string;

  before(async () => {
    t = await startTestGateway({
      policies: { 'test.cedar': POLICY },
      yaml: (dir) => {
        mkdirSync(join(dir, 'ws'));
        writeFileSync(join(dir, 'ws', 'hello.txt'), 'hello from the workspace\n');
        writeFileSync(join(dir, 'ws', 'secret.txt'), 'top secret\n');
        return [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  fs:',
          '    package: "@modelcontextprotocol/server-filesystem"',
          `    args: ["${join(dir, 'ws')}"]`,
          '  memory:',
          '    package: "@modelcontextprotocol/server-memory"',
          '    env:',
          `      MEMORY_FILE_PATH: "${join(dir, 'memory.jsonl')}"`,
          '',
        ].join('\n');
      },
    });
    readerKey = await t.agent('reader-bot', ['reader']);
    writerKey = await t.agent('writer-bot', ['writer']);
  });
  after(() => t.cleanup());

  it('lists only the tools the agent may call', async () => {
    const c = await t.client(readerKey);
    const names = (await c.listTools()).tools.map((x) => x.name).sort();
    assert.ok(names.includes('fs.read_text_file'), names.join(','));
    assert.ok(names.includes('memory.read_graph'));
    assert.ok(!names.includes('fs.write_file'), 'write_file must be hidden from a reader');
    assert.ok(!names.includes('memory.create_entities'));
  });

  it('allows a permitted call and returns the upstream result', async () => {
    const c = await t.client(readerKey);
    const r = await c.callTool({
      name: 'fs.read_text_file',
      arguments: { path: join(t.dir, 'ws', 'hello.txt') },
    });
    assert.match(JSON.stringify(r.content), /hello from the workspace/);
  });

  it('denies a call no policy permits, naming the policy decision without echoing arguments', async () => {
    const c = await t.client(readerKey);
    const err = await c
      .callTool({
        name: 'fs.write_file',
        arguments: { path: join(t.dir, 'ws', 'pwned.txt'), content: 'CANARY-WRITE' },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof McpError, String(err));
    assert.equal(err.code, -32010);
    assert.doesNotMatch(JSON.stringify({ m: err.message, d: err.data }), /CANARY-WRITE|pwned/);
  });

  it('applies a forbid on argument values over a permit', async () => {
    const c = await t.client(readerKey);
    const err = await c
      .callTool({ name: 'fs.read_text_file', arguments: { path: join(t.dir, 'ws', 'secret.txt') } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof McpError);
    assert.equal(err.code, -32010);
    assert.deepEqual((err.data as { policyIds: string[] }).policyIds, ['no-secrets']);
    assert.match(err.message, /off limits/);
    assert.doesNotMatch(err.message, /top secret/);
  });

  it('keeps agents apart: the writer may write memory, the reader may not', async () => {
    const w = await t.client(writerKey);
    await w.callTool({
      name: 'memory.create_entities',
      arguments: { entities: [{ name: 'warden', entityType: 'project', observations: ['e2e'] }] },
    });
    const r = await t.client(readerKey);
    const err = await r
      .callTool({
        name: 'memory.create_entities',
        arguments: { entities: [{ name: 'x', entityType: 'y', observations: [] }] },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof McpError && err.code === -32010);
    const graph = await r.callTool({ name: 'memory.read_graph', arguments: {} });
    assert.match(JSON.stringify(graph), /warden/);
  });

  it('records allowed and denied calls in an audit log that verifies', async () => {
    const records = await t.gw.services.audit.tail(200);
    const decided = records.filter((r) => r.kind === 'mcp.request');
    assert.ok(decided.some((r) => r.decision === 'allow' && r.tool === 'read_text_file'));
    assert.ok(decided.some((r) => r.decision === 'deny' && r.tool === 'write_file'));
    const v = await t.gw.services.audit.verify();
    assert.equal(v.ok, true, JSON.stringify(v));
  });

  it("never lets an agent widen a server's file roots through roots/list (confused deputy)", async () => {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } =
      await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const { ListRootsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const c = new Client(
      { name: 'sneaky', version: '1' },
      { capabilities: { roots: { listChanged: true } } },
    );
    let asked = 0;
    c.setRequestHandler(ListRootsRequestSchema, () => {
      asked++;
      return { roots: [{ uri: 'file:///', name: 'everything' }] };
    });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(t.gw.url), {
        requestInit: { headers: { Authorization: `Bearer ${readerKey}` } },
      }),
    );
    try {
      const inside = await c.callTool({
        name: 'fs.read_text_file',
        arguments: { path: join(t.dir, 'ws', 'hello.txt') },
      });
      assert.match(JSON.stringify(inside.content), /hello from the workspace/);
      const outside = await c.callTool({ name: 'fs.read_text_file', arguments: { path: '/etc/hostname' } });
      assert.equal(outside.isError, true);
      assert.match(JSON.stringify(outside.content), /outside allowed directories|Access denied/i);
      assert.equal(asked, 0, 'the gateway must not relay roots/list to the agent');
    } finally {
      await c.close();
    }
  });

  it('serves Prometheus metrics only to an agent with the metrics role', async () => {
    const scraper = await t.agent('scraper', ['metrics']);
    const ok = await fetch(new URL('/metrics', t.gw.url), {
      headers: { authorization: `Bearer ${scraper}` },
    });
    assert.equal(ok.status, 200);
    const text = await ok.text();
    assert.match(text, /warden_tool_calls_total\{[^}]*decision="allow"[^}]*\} \d+/);
    assert.match(text, /warden_tool_calls_total\{[^}]*decision="deny"[^}]*\} \d+/);
    const other = await fetch(new URL('/metrics', t.gw.url), {
      headers: { authorization: `Bearer ${readerKey}` },
    });
    assert.equal(other.status, 403);
    const anonymous = await fetch(new URL('/metrics', t.gw.url));
    assert.equal(anonymous.status, 401);
  });

  it('[SE-8] refuses requests without a valid bearer credential', async () => {
    const res = await fetch(t.gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    assert.equal(res.status, 401);
    const bad = await fetch(t.gw.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: 'Bearer wdn_nope_nope',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    assert.equal(bad.status, 401);
  });
});
