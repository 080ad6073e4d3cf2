import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';

const EVERYTHING = join(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  '@modelcontextprotocol',
  'server-everything',
  'dist',
  'index.js',
);

const POLICY = `
@id("tester-readonly-trusted")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource in Warden::Server::"everything")
when { resource.trusted_annotations && resource.annotations has readOnlyHint && resource.annotations.readOnlyHint };

@id("tester-remote-echo")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource == Warden::Tool::"remote.echo");

@id("tester-untrusted-annotations-ignored")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource in Warden::Server::"remote")
when { resource.trusted_annotations && resource.annotations has readOnlyHint && resource.annotations.readOnlyHint };

@id("tester-prompts")
permit (principal in Warden::Role::"tester", action == Warden::Action::"get_prompt", resource in Warden::Server::"everything");

@id("tester-resources")
permit (principal in Warden::Role::"tester", action == Warden::Action::"read_resource", resource in Warden::Server::"everything");
`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('gateway end to end with server-everything over stdio and a remote Streamable HTTP server', () => {
  let t: TestGateway;
  let remote: ChildProcess;
  let key: string;

  before(async () => {
    const port = await freePort();
    remote = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
      env: { PORT: String(port), PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (c: Buffer): void => {
        out += c.toString();
        if (/listening on port/i.test(out)) resolve();
      };
      remote.stdout!.on('data', onData);
      remote.stderr!.on('data', onData);
      remote.once('exit', () => reject(new Error(`server-everything exited: ${out}`)));
    });
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: () =>
        [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  everything:',
          '    package: "@modelcontextprotocol/server-everything"',
          '    args: [stdio]',
          '    trusted: true',
          '  remote:',
          `    url: http://127.0.0.1:${port}/mcp`,
          '',
        ].join('\n'),
    });
    key = await t.agent('tester', ['tester']);
  });
  after(async () => {
    await t?.cleanup();
    remote?.kill();
  });

  it('aggregates both servers under their prefixes and filters by policy', async () => {
    const c = await t.client(key);
    const names = (await c.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('everything.echo'));
    assert.ok(names.includes('everything.get-sum'));
    assert.ok(names.includes('remote.echo'));
    assert.ok(!names.includes('everything.toggle-simulated-logging'), 'not read-only: hidden');
    assert.ok(
      !names.includes('remote.get-sum'),
      'annotations of an untrusted server must not grant access (TP-4)',
    );
  });

  it('calls a stdio tool and a remote tool', async () => {
    const c = await t.client(key);
    const a = await c.callTool({ name: 'everything.get-sum', arguments: { a: 2, b: 3 } });
    assert.match(JSON.stringify(a.content), /5/);
    const b = await c.callTool({ name: 'remote.echo', arguments: { message: 'over http' } });
    assert.match(JSON.stringify(b.content), /over http/);
  });

  it('[TP-4] ignores readOnlyHint from an untrusted server', async () => {
    const c = await t.client(key);
    const err = await c.callTool({ name: 'remote.get-sum', arguments: { a: 1, b: 1 } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError && err.code === -32010);
  });

  it("relays progress notifications under the client's own token", async () => {
    const c = await t.client(key);
    const seen: number[] = [];
    const r = await c.callTool(
      { name: 'everything.trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      undefined,
      {
        onprogress: (p) => seen.push(p.progress),
      },
    );
    assert.ok(r.content !== undefined);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('lists and gets prompts, lists and reads resources (first server keeps a shared URI)', async () => {
    const c = await t.client(key);
    const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
    assert.ok(prompts.includes('everything.simple-prompt'));
    const p = await c.getPrompt({ name: 'everything.simple-prompt' });
    assert.ok(p.messages.length > 0);
    const resources = (await c.listResources()).resources;
    const uris = resources.map((r) => r.uri);
    assert.equal(new Set(uris).size, uris.length, 'a URI served by two servers appears once (SH-1)');
    const read = await c.readResource({ uri: uris[0]! });
    assert.ok(read.contents.length > 0);
  });

  it('denies prompts and resources of a server the policy does not cover', async () => {
    const c = await t.client(key);
    const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
    assert.ok(!prompts.some((p) => p.startsWith('remote.')));
    const err = await c.getPrompt({ name: 'remote.simple-prompt' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError && err.code === -32010);
  });
});
