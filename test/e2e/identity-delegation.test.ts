/**
 * Delegation end to end (issue 4), all real: the gateway with server-filesystem and
 * server-memory, the official SDK client, the token endpoint over HTTP. An orchestrator
 * bootstraps a token with its key pair, its sub-agent exchanges it at /token for a read-only
 * grant (RFC 8693, the sub-agent proving itself with its own bootstrap key), sees only the
 * delegated tools, is refused a write, and is cut off when the orchestrator's token is revoked.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  ASSERTION_TYPE,
  GRANT_TOKEN_EXCHANGE,
  TOKEN_TYPE_ACCESS,
  TOKEN_TYPE_JWT,
  createClientAssertion,
} from '../../src/identity/index.ts';
import type { BootstrapCredential } from '../../src/identity/index.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';

const POLICY = `
@id("agents-fs")
permit (principal in Warden::Role::"agent", action == Warden::Action::"call_tool", resource in Warden::Server::"fs");

@id("agents-memory")
permit (principal in Warden::Role::"agent", action == Warden::Action::"call_tool", resource in Warden::Server::"memory");
`;

describe('delegation end to end: orchestrator → read-only sub-agent', () => {
  let t: TestGateway;
  let base: string;
  let ws: string;
  let orch: BootstrapCredential;
  let sub: BootstrapCredential;

  const token = async (form: Record<string, string>): Promise<string> => {
    const r = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    const body = (await r.json()) as { access_token?: string; error_description?: string };
    assert.equal(r.status, 200, body.error_description);
    return body.access_token!;
  };

  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: (dir) => {
        ws = join(dir, 'ws');
        mkdirSync(ws);
        writeFileSync(join(ws, 'plan.md'), '# the plan\n');
        return [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  fs:',
          '    package: "@modelcontextprotocol/server-filesystem"',
          `    args: ["${ws}"]`,
          '  memory:',
          '    package: "@modelcontextprotocol/server-memory"',
          '    env:',
          `      MEMORY_FILE_PATH: "${join(dir, 'memory.jsonl')}"`,
          '',
        ].join('\n');
      },
    });
    base = new URL(t.gw.url).origin;
    orch = (await t.agentCredentials('orchestrator', ['agent'])).bootstrap;
    sub = (await t.agentCredentials('reader', ['agent'])).bootstrap;
  });
  after(() => t.cleanup());

  it('[DL-1][DL-6][DL-7] the sub-agent sees and calls only the delegated read-only tools and is cut off with its parent', async () => {
    // 1. The orchestrator bootstraps a task token that can read and write the workspace.
    const orchToken = await token({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await createClientAssertion(orch, { audience: `${base}/token` }),
      authorization_details: JSON.stringify([
        {
          type: 'warden_grant',
          tools: { fs: ['read_text_file', 'list_directory', 'write_file'], memory: ['read_graph'] },
          args: { 'fs.write_file': { path: { kind: 'path', globs: [`${ws}/**`] } } },
        },
      ]),
      task: 'summarise the plan',
    });
    const orchClient = await t.client(orchToken);
    const orchTools = (await orchClient.listTools()).tools.map((x) => x.name).sort();
    assert.deepEqual(orchTools, [
      'fs.list_directory',
      'fs.read_text_file',
      'fs.write_file',
      'memory.read_graph',
    ]);

    // 2. The sub-agent exchanges it for a read-only grant, proving itself with its own key.
    const subToken = await token({
      grant_type: GRANT_TOKEN_EXCHANGE,
      subject_token: orchToken,
      subject_token_type: TOKEN_TYPE_ACCESS,
      actor_token: await createClientAssertion(sub, { audience: `${base}/token` }),
      actor_token_type: TOKEN_TYPE_JWT,
      scope: 'fs.read_text_file fs.list_directory',
    });
    const subClient = await t.client(subToken);
    const subTools = (await subClient.listTools()).tools.map((x) => x.name).sort();
    assert.deepEqual(subTools, ['fs.list_directory', 'fs.read_text_file']);

    // 3. Reading works; writing is denied (not in the delegated grant), and audited with the chain.
    const read = await subClient.callTool({
      name: 'fs.read_text_file',
      arguments: { path: join(ws, 'plan.md') },
    });
    assert.match(JSON.stringify(read.content), /the plan/);
    await assert.rejects(
      subClient.callTool({ name: 'fs.write_file', arguments: { path: join(ws, 'x.md'), content: 'x' } }),
      (e: unknown) => e instanceof McpError && /fs\.write_file is not in the grant/.test(e.message),
    );
    const decided = (await t.gw.services.audit.tail(100)).filter(
      (r) => r.kind === 'mcp.request' && r.principal === 'reader',
    );
    assert.ok(decided.length >= 2);
    for (const r of decided) {
      assert.deepEqual(r.actors, ['reader']);
      assert.equal(r.taskId, 'summarise the plan');
      assert.equal((r.data as { subject: string }).subject, 'orchestrator');
    }
    // The orchestrator itself may still write (the twin of the sub-agent's denial).
    await orchClient.callTool({
      name: 'fs.write_file',
      arguments: { path: join(ws, 'notes.md'), content: 'ok' },
    });

    // 4. Revoking the orchestrator's token cuts the sub-agent off on its next call.
    const { jti } = (await t.gw.identity.tokens.verify(orchToken)).claims;
    await t.gw.identity.tokens.revoke({ jti });
    await assert.rejects(
      subClient.callTool({ name: 'fs.read_text_file', arguments: { path: join(ws, 'plan.md') } }),
      /401|revoked|Unauthorized/i,
    );
    await assert.rejects(orchClient.listTools(), /401|revoked|Unauthorized/i);
  });
});
