/**
 * `warden run --agent` (issue 4) with real bubblewrap, a real gateway and the real CLI: the
 * sandboxed program gets an MCP configuration holding only a task token, reaches the gateway
 * with it (through its egress proxy, which allows only the gateway's address), never sees the
 * agent's API key or bootstrap key, and the token is revoked when the program exits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.ts';
import { startGateway } from '../../../src/gateway/index.ts';
import type { RunningGateway } from '../../../src/gateway/index.ts';
import { sandboxUnavailable } from '../sandbox/helpers.ts';
import { runDelegated, startTaskToken } from '../../../src/cli/commands/run-identity.ts';

const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');

const POLICY = `
@id("agents-memory")
permit (principal in Warden::Role::"agent", action == Warden::Action::"call_tool", resource in Warden::Server::"memory");
`;

/** The program run in the sandbox: reads its MCP config, calls the gateway with and without it. */
const PROGRAM = `
const fs = require('node:fs');
const cfg = JSON.parse(fs.readFileSync(process.env.WARDEN_MCP_CONFIG, 'utf8')).mcpServers.warden;
const init = (headers) => fetch(cfg.url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sandboxed', version: '1' } } }),
}).then((r) => r.status, (e) => 'error ' + e.message);
(async () => {
  const out = {
    url: cfg.url,
    auth: cfg.headers.Authorization,
    tokenFile: fs.readFileSync(process.env.WARDEN_TOKEN_FILE, 'utf8').trim(),
    env: Object.keys(process.env).sort(),
    envText: JSON.stringify(process.env),
    withToken: await init(cfg.headers),
    without: await init({}),
  };
  console.log(JSON.stringify(out));
})();
`;

function spawnAsync(
  cmd: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Revoked by another process or store connection: the gateway sees it within its staleness
 * bound (250 ms); polls for at most one second and returns the refusal code ('' if none).
 */
async function refusedWithin1s(gw: RunningGateway, token: string): Promise<string> {
  const since = performance.now();
  let code = '';
  while (code === '' && performance.now() - since < 1000) {
    code = await gw.identity.tokens.verify(token).then(
      () => '',
      (e: unknown) => (e as { code: string }).code,
    );
    if (code === '') await new Promise((r) => setTimeout(r, 50));
  }
  return code;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('warden run --agent (task token for a sandboxed agent)', { skip: sandboxUnavailable() }, () => {
  let dir: string;
  let gw: RunningGateway;
  let apiKey: string;
  let privateD: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-run-agent-'));
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'p.cedar'), POLICY);
    const port = await freePort();
    writeFileSync(
      join(dir, 'warden.yaml'),
      [
        'version: 1',
        'gateway:',
        `  listen: 127.0.0.1:${port}`,
        'servers:',
        '  memory:',
        '    package: "@modelcontextprotocol/server-memory"',
        '    env:',
        `      MEMORY_FILE_PATH: "${join(dir, 'memory.jsonl')}"`,
        '',
      ].join('\n'),
    );
    gw = await startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false });
    const created = await gw.registry.create({ name: 'orch', roles: ['agent'] });
    apiKey = created.credential.token;
    privateD = (created.bootstrap.privateJwk as { d: string }).d;
  });
  after(async () => {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('[CD-1] gives the program only a task token, which reaches the gateway and is revoked at exit', async () => {
    // Asynchronous: the gateway runs in this process and must keep serving meanwhile.
    const r = await spawnAsync(process.execPath, [
      '--import',
      TSX,
      MAIN,
      '--config',
      join(dir, 'warden.yaml'),
      'run',
      '--agent',
      'orch',
      '--task',
      'sandboxed task',
      '--tool',
      'memory.read_graph',
      '--ttl',
      '2m',
      '--',
      process.execPath,
      '-e',
      PROGRAM,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      url: string;
      auth: string;
      tokenFile: string;
      env: string[];
      envText: string;
      withToken: number | string;
      without: number | string;
    };
    assert.equal(out.url, gw.url);
    assert.equal(out.auth, `Bearer ${out.tokenFile}`);
    assert.match(out.tokenFile, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
    assert.equal(out.withToken, 200, 'the token reaches the gateway through the sandbox egress proxy');
    assert.equal(out.without, 401, 'without the token the gateway refuses');
    // The agent's long-lived credentials never enter the sandbox.
    for (const secret of [apiKey, privateD]) {
      assert.ok(!r.stdout.includes(secret) && !out.envText.includes(secret));
    }
    assert.ok(!out.env.some((k) => /KEY|SECRET/i.test(k)));
    // The token was revoked when the program exited.
    assert.equal(await refusedWithin1s(gw, out.tokenFile), 'ERR_TOKEN_REVOKED');
  });

  it('re-mints the token before it expires and rewrites the files atomically; stop() revokes every token of the run', async () => {
    const task = await startTaskToken(loadConfig(join(dir, 'warden.yaml')), 'orch', {
      tool: ['memory.read_graph'],
      arg: [],
      ttl: '2s',
    });
    const file = task.env.WARDEN_TOKEN_FILE!;
    const first = readFileSync(file, 'utf8').trim();
    while (task.jtis.length < 2) await new Promise((r) => setTimeout(r, 100));
    const second = readFileSync(file, 'utf8').trim();
    assert.notEqual(second, first, 'the file holds the fresh token');
    assert.equal((await gw.identity.tokens.verify(second)).claims.jti, task.jtis[1]);
    assert.ok(statSync(file).mode % 0o1000 === 0o600);
    await task.stop();
    assert.equal(await refusedWithin1s(gw, second), 'ERR_TOKEN_REVOKED');
    assert.ok(!existsSync(file), 'the files are removed');
  });

  it('[DL-1] --delegate narrows the caller’s token (same subject, no new actor) and hands COMMAND only that', async () => {
    const orchId = (await gw.registry.get('orch')).id;
    const callerDir = mkdtempSync(join(tmpdir(), 'warden-caller-'));
    const parent = await gw.identity.tokens.issue({
      agentId: orchId,
      grant: {
        id: 'grt_parent',
        tools: { memory: ['read_graph', 'search_nodes'] },
        expiresAt: Date.now() + 600_000,
      },
      task: 'parent task',
      ttlSec: 300,
    });
    writeFileSync(join(callerDir, 'token'), parent.token + '\n', { mode: 0o600 });
    const out = join(callerDir, 'child.json');
    const env = {
      PATH: '/usr/bin:/bin',
      WARDEN_TOKEN_FILE: join(callerDir, 'token'),
      WARDEN_GATEWAY_URL: gw.url,
    };
    const program = `require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ token: require('node:fs').readFileSync(process.env.WARDEN_TOKEN_FILE, 'utf8').trim(), config: process.env.WARDEN_MCP_CONFIG }))`;
    const code = await runDelegated(
      process.execPath,
      ['-e', program],
      { tool: ['memory.read_graph'], arg: [], ttl: '60s' },
      env,
    );
    assert.equal(code, 0);
    const child = JSON.parse(readFileSync(out, 'utf8')) as { token: string; config: string };
    assert.notEqual(child.token, parent.token);
    const c = (await gw.identity.tokens.verify(child.token)).claims;
    assert.deepEqual(c.grant.tools, { memory: ['read_graph'] });
    assert.equal(c.sub, parent.claims.sub);
    assert.equal(c.act, undefined, 'no new actor: the same agent narrowed its own token');
    assert.ok(c.exp <= parent.claims.exp && c.exp - c.iat <= 60);
    assert.deepEqual(c.anc, [parent.claims.jti]);
    assert.ok(!existsSync(child.config), 'the delegated config is removed when COMMAND exits');
    // Asking for more than the caller holds is refused with the gateway's reason.
    await assert.rejects(
      runDelegated(process.execPath, ['-e', '0'], { tool: ['memory.create_entities'], arg: [] }, env),
      /refused the delegation: tool pattern memory.create_entities is not in the parent grant/,
    );
    // The narrowed token dies with its parent.
    await gw.identity.tokens.revoke({ jti: parent.claims.jti });
    await assert.rejects(gw.identity.tokens.verify(child.token), { code: 'ERR_TOKEN_REVOKED' });
    await assert.rejects(
      runDelegated(process.execPath, ['-e', '0'], { tool: [], arg: [] }, { PATH: '/usr/bin' }),
      {
        code: 'ERR_DELEGATE_OUTSIDE_SANDBOX',
      },
    );
    rmSync(callerDir, { recursive: true, force: true });
  });

  it('refuses grant flags without --agent (usage) and an unknown agent (clear error)', () => {
    const run = (...a: string[]) =>
      spawnSync(
        process.execPath,
        ['--import', TSX, MAIN, '--config', join(dir, 'warden.yaml'), 'run', ...a],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
    const noAgent = run('--tool', 'memory.read_graph', '--', '/bin/true');
    assert.equal(noAgent.status, 2, '--tool without --agent is a usage error');
    assert.match(noAgent.stderr, /need --agent/);
    const nobody = run('--agent', 'nobody', '--tool', 'memory.read_graph', '--', '/bin/true');
    assert.equal(nobody.status, 1);
    assert.match(nobody.stderr, /no agent named nobody/);
  });
});
