/**
 * Grant AND policy on the gateway's path (issue 4), with a real filesystem server and the
 * official SDK client: listings are filtered by both, each call needs both, the "decided"
 * record names the grant, task, subject and actors, and revocation takes effect on the next
 * request here and within one second in another gateway process on the same store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { newId } from '../../../src/core/index.ts';
import { parseGrantFlags } from '../../../src/identity/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const POLICY = `
@id("dev-fs")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"fs");

@id("no-secrets")
@reason("files named secret are off limits")
forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
when { context.args has path && context.args.path like "*secret*" };
`;

const PUBLIC_URL = 'http://127.0.0.1:7999/mcp';

describe('grant AND policy in the gateway pipeline', () => {
  let t: TestGateway;
  let ws: string;
  let agentId: string;

  const tokenFor = async (
    tools: string[],
    args: string[] = [],
    o: { task?: string; agent?: string } = {},
  ): Promise<{ token: string; jti: string; grantId: string }> => {
    const grant = parseGrantFlags({ tools, args, expiresAt: Date.now() + 600_000, id: newId('grt_') });
    const issued = await t.gw.identity.tokens.issue({
      agentId: o.agent ?? agentId,
      grant,
      ttlSec: 600,
      ...(o.task === undefined ? {} : { task: o.task }),
    });
    return { token: issued.token, jti: issued.claims.jti, grantId: grant.id };
  };
  const denied = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
    await assert.rejects(p, (e: unknown) => e instanceof McpError && re.test(e.message));
  };

  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: (dir) => {
        ws = join(dir, 'ws');
        mkdirSync(ws);
        writeFileSync(join(ws, 'hello.txt'), 'hello\n');
        writeFileSync(join(ws, 'secret.txt'), 'top secret\n');
        return [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          `  public_url: ${PUBLIC_URL}`,
          'servers:',
          '  fs:',
          '    package: "@modelcontextprotocol/server-filesystem"',
          `    args: ["${ws}"]`,
          '',
        ].join('\n');
      },
    });
    agentId = (await t.agentCredentials('dev-bot', ['dev'])).agent.id;
  });
  after(() => t.cleanup());

  it('[CD-4] tools/list shows only what the grant AND the policy allow', async () => {
    const { token } = await tokenFor(['fs.read_*', 'fs.list_directory']);
    const client = await t.client(token);
    const names = (await client.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('fs.read_text_file'));
    assert.ok(names.includes('fs.list_directory'));
    assert.ok(!names.includes('fs.write_file'), 'not in the grant');
    assert.ok(
      names.every((n) => n.startsWith('fs.read_') || n === 'fs.list_directory'),
      names.join(),
    );
    // The twin: the whole server granted shows every tool the policy allows.
    const all = await t.client((await tokenFor(['fs.*'])).token);
    assert.ok((await all.listTools()).tools.some((x) => x.name === 'fs.write_file'));
  });

  it('[CD-4] denies a tool outside the grant even though the policy allows it; a granted tool works', async () => {
    const { token, grantId } = await tokenFor(['fs.read_text_file'], [], { task: 'read the docs' });
    const client = await t.client(token);
    const ok = await client.callTool({
      name: 'fs.read_text_file',
      arguments: { path: join(ws, 'hello.txt') },
    });
    assert.equal(ok.isError ?? false, false);
    await denied(
      client.callTool({ name: 'fs.write_file', arguments: { path: join(ws, 'x.txt'), content: 'x' } }),
      /Forbidden: fs\.write_file is not in the grant/,
    );
    const rec = (await t.gw.services.audit.tail(50))
      .reverse()
      .find((r) => r.kind === 'mcp.request' && r.tool === 'write_file');
    assert.ok(rec !== undefined);
    assert.equal(rec.decision, 'deny');
    assert.equal(rec.grantId, grantId);
    assert.equal(rec.taskId, 'read the docs');
    assert.deepEqual(rec.policyIds, [`grant:${grantId}`]);
    assert.equal((rec.data as { subject: string }).subject, 'dev-bot');
  });

  it('[SX-2] denies a path outside the grant’s globs; a path inside is allowed', async () => {
    const { token } = await tokenFor(['fs.read_text_file'], [`fs.read_text_file.path=${ws}/**`]);
    const client = await t.client(token);
    await denied(
      client.callTool({ name: 'fs.read_text_file', arguments: { path: '/etc/hostname' } }),
      /argument path: path outside the granted globs/,
    );
    await denied(
      client.callTool({ name: 'fs.read_text_file', arguments: { path: `${ws}/../../etc/hostname` } }),
      /argument path/,
    );
    const ok = await client.callTool({
      name: 'fs.read_text_file',
      arguments: { path: join(ws, 'hello.txt') },
    });
    assert.match(JSON.stringify(ok.content), /hello/);
  });

  it('denies what the policy forbids even when the grant allows it (grant AND policy)', async () => {
    const { token } = await tokenFor(['fs.read_text_file'], [`fs.read_text_file.path=${ws}/**`]);
    const client = await t.client(token);
    await denied(
      client.callTool({ name: 'fs.read_text_file', arguments: { path: join(ws, 'secret.txt') } }),
      /files named secret are off limits/,
    );
  });

  it('[DL-6] a revoked token fails on the very next request in this process; another token keeps working', async () => {
    const a = await tokenFor(['fs.read_text_file']);
    const b = await tokenFor(['fs.read_text_file']);
    const ca = await t.client(a.token);
    const cb = await t.client(b.token);
    const read = { name: 'fs.read_text_file', arguments: { path: join(ws, 'hello.txt') } };
    await ca.callTool(read);
    await t.gw.identity.tokens.revoke({ jti: a.jti });
    await assert.rejects(ca.callTool(read), /401|revoked|Unauthorized/i);
    await cb.callTool(read);
  });

  it('[DL-6] revoking a task or an agent fails their tokens on the next request', async () => {
    const read = { name: 'fs.read_text_file', arguments: { path: join(ws, 'hello.txt') } };
    const task = await tokenFor(['fs.read_text_file'], [], { task: 'doomed task' });
    const other = await tokenFor(['fs.read_text_file'], [], { task: 'other task' });
    const ct = await t.client(task.token);
    const co = await t.client(other.token);
    await ct.callTool(read);
    await t.gw.identity.tokens.revoke({ task: 'doomed task' });
    await assert.rejects(ct.callTool(read), /401|revoked|Unauthorized/i);
    await co.callTool(read);
    const victimId = (await t.agentCredentials('victim', ['dev'])).agent.id;
    const v = await tokenFor(['fs.read_text_file'], [], { agent: victimId });
    const cv = await t.client(v.token);
    await cv.callTool(read);
    await t.gw.identity.tokens.revoke({ agentId: victimId });
    await assert.rejects(cv.callTool(read), /401|revoked|Unauthorized/i);
    await co.callTool(read);
  });

  describe('a second gateway process on the same SQLite store', () => {
    let child: ChildProcess;
    let url2: string;
    before(async () => {
      child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', '--config', join(t.dir, 'warden.yaml'), 'gateway'],
        { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      );
      url2 = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /listening on (http:\/\/\S+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`second gateway exited ${code}: ${err}`)));
      });
    });
    after(() => {
      child.kill('SIGTERM');
    });

    it('[DL-6] a token revoked in one gateway is refused by the other within one second', async () => {
      const { token, jti } = await tokenFor(['fs.read_text_file']);
      const init = () =>
        fetch(url2, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-06-18',
              capabilities: {},
              clientInfo: { name: 'x', version: '1' },
            },
          }),
        }).then((r) => r.status);
      assert.equal(await init(), 200, 'the other gateway accepts the token before revocation');
      await t.gw.identity.tokens.revoke({ jti });
      const revokedAt = performance.now();
      let status = 200;
      while (performance.now() - revokedAt < 1000 && status !== 401) {
        status = await init();
        if (status !== 401) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status, 401, 'refused within one second of the revocation');
    });
  });
});
