import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { BwrapLauncher, PlainLauncher } from '../../../src/sandbox/index.ts';
import type { LaunchedProcess } from '../../../src/sandbox/index.ts';
import { makeFixture, sandboxUnavailable } from './helpers.ts';
import type { Fixture } from './helpers.ts';

const unavailable = sandboxUnavailable();
const require = createRequire(import.meta.url);
const SERVER = join(
  dirname(require.resolve('@modelcontextprotocol/server-filesystem/package.json')),
  'dist',
  'index.js',
);

/** A minimal line-delimited JSON-RPC client over a launched process. */
function rpc(p: LaunchedProcess): (method: string, params?: unknown) => Promise<Record<string, unknown>> {
  let next = 1;
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  createInterface({ input: p.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as Record<string, unknown>;
    if (typeof m['id'] === 'number') waiting.get(m['id'])?.(m);
  });
  return (method, params) =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      p.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
}

describe('a stdio MCP server from npm runs sandboxed with a workspace', { skip: unavailable }, () => {
  let fx: Fixture;
  let proc: LaunchedProcess;
  let call: ReturnType<typeof rpc>;

  before(async () => {
    fx = makeFixture();
    const launcher = new BwrapLauncher();
    proc = await launcher.launch({
      command: process.execPath,
      // the server may read anything under /: only the sandbox stands between it and the host
      args: [SERVER, '/'],
      env: {},
      label: 'filesystem',
      sandbox: { workspace: { mode: 'bind', path: fx.ws } },
    });
    proc.stderr.resume();
    call = rpc(proc);
    await call('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    });
    proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  });

  after(async () => {
    await proc.stop(500);
    fx.cleanup();
  });

  const read = async (path: string): Promise<string> => {
    const r = await call('tools/call', { name: 'read_text_file', arguments: { path } });
    return JSON.stringify(r);
  };

  it('reads a file inside the workspace', async () => {
    assert.match(await read('/workspace/inside.txt'), /inside/);
  });

  it('positive control: the same server unsandboxed reads the planted file', async () => {
    const plain = await new PlainLauncher().launch({
      command: process.execPath,
      args: [SERVER, '/'],
      env: {},
      label: 'fs-plain',
    });
    plain.stderr.resume();
    const c = rpc(plain);
    await c('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 't', version: '1' },
    });
    plain.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    const r = await c('tools/call', { name: 'read_text_file', arguments: { path: fx.outside } });
    await plain.stop(500);
    assert.match(JSON.stringify(r), new RegExp(fx.canary));
  });

  it('[SX-1] sandboxed, it cannot read a planted file outside the workspace', async () => {
    assert.doesNotMatch(await read(fx.outside), new RegExp(fx.canary));
    assert.doesNotMatch(await read('/workspace/../outside.txt'), new RegExp(fx.canary));
    assert.doesNotMatch(await read(join(fx.sibling, 'secret')), new RegExp(fx.canary));
  });
});
