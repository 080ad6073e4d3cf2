import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';
import { post, rawSession } from '../../helpers/raw-mcp.ts';

const PROBE = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'probe-server.mjs');
const POLICY = `
@id("probe-all")
permit (principal in Warden::Role::"user", action == Warden::Action::"call_tool", resource in Warden::Server::"probe")
unless { resource.name == "add" };
`;

describe('JSON-RPC edge cases at the client edge (THREATS §1L)', () => {
  let t: TestGateway;
  let key: string;
  let other: string;
  let h: Record<string, string>;
  let counterFile: string;
  const effects = (): string[] =>
    existsSync(counterFile) ? readFileSync(counterFile, 'utf8').split('\n').filter(Boolean) : [];
  const call = (id: string, name: string, args: unknown): string =>
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${name}","arguments":${JSON.stringify(args)}}}`;

  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: (dir) => {
        counterFile = join(dir, 'effects.log');
        return `version: 1\ngateway:\n  listen: 127.0.0.1:0\n  max_body: 64K\n  max_depth: 32\nservers:\n  probe:\n    command: ${process.execPath}\n    args: ["${PROBE}"]\n    timeout: 1500ms\n    env:\n      PROBE_COUNTER_FILE: "${join(dir, 'effects.log')}"\n`;
      },
    });
    key = await t.agent('alice', ['user']);
    other = await t.agent('bob', ['user']);
    h = await rawSession(t.gw.url, key);
  });
  after(() => t.cleanup());

  it('[RPC-1] answers invalid JSON with -32700 and id null', async () => {
    const r = await post(t.gw.url, '{"jsonrpc":"2.0",', h);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: (r.json as { error: { message: string } }).error.message },
    });
  });

  it('[RPC-2] refuses valid JSON that is not an object', async () => {
    for (const body of ['1', '"x"', 'null', 'true']) {
      const r = await post(t.gw.url, body, h);
      assert.equal((r.json as { error: { code: number } }).error.code, -32600, body);
    }
  });

  it('[RPC-3] refuses a missing or wrong jsonrpc member', async () => {
    for (const v of ['', '"jsonrpc":"1.0",', '"jsonrpc":2.0,', '"jsonrpc":"2.0 ",']) {
      const r = await post(t.gw.url, `{${v}"id":1,"method":"ping"}`, h);
      assert.equal((r.json as { error: { code: number } }).error.code, -32600, v);
    }
  });

  it('[RPC-4] refuses null, object, array and boolean ids', async () => {
    for (const id of ['null', '{}', '[1]', 'true']) {
      const r = await post(t.gw.url, `{"jsonrpc":"2.0","id":${id},"method":"ping"}`, h);
      assert.equal((r.json as { error: { code: number } }).error.code, -32600, id);
    }
  });

  it('[RPC-5] echoes ids byte for byte and refuses ids it could not echo exactly', async () => {
    for (const id of ['"abc"', '"\\u0041"', '42', '-7', '"9007199254740993"']) {
      const r = await post(t.gw.url, `{"jsonrpc":"2.0","id":${id},"method":"ping"}`, h);
      assert.ok(r.text.includes(`"id":${id}`), `${id} → ${r.text}`);
    }
    for (const id of ['9007199254740993', '1.0', '1e2']) {
      const r = await post(t.gw.url, `{"jsonrpc":"2.0","id":${id},"method":"ping"}`, h);
      assert.equal((r.json as { error: { code: number } }).error.code, -32600, id);
    }
  });

  it('[RPC-6] refuses an id reused while in flight; two sessions may use the same id', async () => {
    const first = post(t.gw.url, call('7', 'probe.slow', { ms: 400 }), h);
    await new Promise((r) => setTimeout(r, 100));
    const dup = await post(t.gw.url, call('7', 'probe.echo', { text: 'dup' }), h);
    assert.equal((dup.json as { error: { code: number } }).error.code, -32600);
    assert.match(JSON.stringify((await first).json), /waited 400/);
    const h2 = await rawSession(t.gw.url, other);
    const [a, b] = await Promise.all([
      post(t.gw.url, call('1', 'probe.echo', { text: 'A' }), h),
      post(t.gw.url, call('1', 'probe.echo', { text: 'B' }), h2),
    ]);
    assert.match(a.text, /"text":"A"/);
    assert.match(b.text, /"text":"B"/);
  });

  it('[RPC-8] answers unknown methods and case or whitespace variants with -32601, never forwarding', async () => {
    const before = effects().length;
    for (const m of ['Tools/call', 'tools/call ', 'tools/CALL', 'nope']) {
      const r = await post(
        t.gw.url,
        `{"jsonrpc":"2.0","id":1,"method":${JSON.stringify(m)},"params":{"name":"probe.echo","arguments":{"text":"x"}}}`,
        h,
      );
      assert.equal((r.json as { error: { code: number } }).error.code, -32601, m);
    }
    assert.equal(effects().length, before);
  });

  it('[RPC-9] never executes a tools/call sent as a notification (no id) and sends no response', async () => {
    const before = effects().length;
    const r = await post(
      t.gw.url,
      '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"probe.echo","arguments":{"text":"x"}}}',
      h,
    );
    assert.equal(r.status, 202);
    assert.equal(r.text, '');
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(effects().length, before);
  });

  it("[RPC-10] ignores a cancellation aimed at another session's request", async () => {
    const h2 = await rawSession(t.gw.url, other);
    const slow = post(t.gw.url, call('"victim"', 'probe.slow', { ms: 300 }), h);
    await new Promise((r) => setTimeout(r, 80));
    await post(
      t.gw.url,
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"victim"}}',
      h2,
    );
    assert.match(JSON.stringify((await slow).json), /waited 300/);
  });

  it("[RPC-10] cancels the caller's own request when it asks", async () => {
    const slow = post(t.gw.url, call('"mine"', 'probe.slow', { ms: 1000 }), h);
    await new Promise((r) => setTimeout(r, 100));
    await post(
      t.gw.url,
      '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"mine"}}',
      h,
    );
    const r = await slow;
    assert.equal((r.json as { error: { code: number } }).error.code, -32800);
  });

  it('[RPC-11] refuses batches under 2025-11-25, an empty batch, and oversized batches under 2025-03-26', async () => {
    const batch = await post(t.gw.url, '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', h);
    assert.equal((batch.json as { error: { code: number } }).error.code, -32600);
    const empty = await post(t.gw.url, '[]', h);
    assert.equal((empty.json as { error: { code: number } }).error.code, -32600);
    const old = await rawSession(t.gw.url, key, '2025-03-26');
    const ok = await post(
      t.gw.url,
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]',
      old,
    );
    assert.equal((ok.json as unknown[]).length, 2);
    const huge = JSON.stringify(
      Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })),
    );
    const r = await post(t.gw.url, huge, old);
    assert.equal((r.json as { error: { code: number } }).error.code, -32600);
  });

  it('[RPC-12] refuses duplicate keys, so the policy and the upstream cannot see different names', async () => {
    const before = effects().length;
    const r = await post(
      t.gw.url,
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.echo","name":"probe.add","arguments":{"text":"x"}}}',
      h,
    );
    assert.equal((r.json as { error: { code: number } }).error.code, -32700);
    assert.equal(effects().length, before);
  });

  it('[RPC-13] refuses __proto__ and constructor keys and pollutes nothing', async () => {
    for (const k of ['__proto__', 'constructor']) {
      const r = await post(
        t.gw.url,
        `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.echo","arguments":{"${k}":{"polluted":1},"text":"x"}}}`,
        h,
      );
      assert.equal((r.json as { error: { code: number } }).error.code, -32700);
    }
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it('[RPC-14] refuses a body over the limit with 413', async () => {
    const r = await post(t.gw.url, call('1', 'probe.echo', { text: 'x'.repeat(70 * 1024) }), h);
    assert.equal(r.status, 413);
  });

  it('[RPC-15] refuses deep nesting, out-of-range numbers and invalid UTF-8; preserves odd strings', async () => {
    const deep = await post(
      t.gw.url,
      call('1', 'probe.echo', { text: 'x' }).replace('{"text":"x"}', '['.repeat(50_000)),
      h,
    );
    assert.equal((deep.json as { error: { code: number } }).error.code, -32700);
    const inf = await post(
      t.gw.url,
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"probe.add","arguments":{"a":1e400,"b":1}}}',
      h,
    );
    assert.equal((inf.json as { error: { code: number } }).error.code, -32700);
    const bad = await fetch(t.gw.url, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: Buffer.from([0x7b, 0xff, 0x7d]),
    });
    assert.equal(bad.status, 400);
    const nul = await post(t.gw.url, call('1', 'probe.echo', { text: 'nul\u0000 inside' }), h);
    assert.equal(nul.status, 200);
    assert.match(nul.text, /nul\\u0000 inside/);
    // A lone surrogate cannot be given to Cedar faithfully: a clean, fail-closed denial.
    const lone = await post(t.gw.url, call('2', 'probe.echo', { text: 'lone \uD800 surrogate' }), h);
    assert.equal((lone.json as { error: { code: number } }).error.code, -32010);
  });

  it('[RPC-17] refuses an unsupported MCP-Protocol-Version; a supported one cannot downgrade the session', async () => {
    const bad = await post(t.gw.url, '{"jsonrpc":"2.0","id":1,"method":"ping"}', {
      ...h,
      'mcp-protocol-version': '1999-01-01',
    });
    assert.equal(bad.status, 400);
    const older = { ...h, 'mcp-protocol-version': '2025-03-26' };
    assert.equal((await post(t.gw.url, '{"jsonrpc":"2.0","id":1,"method":"ping"}', older)).status, 200);
    const batch = await post(t.gw.url, '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', older);
    assert.equal(
      (batch.json as { error: { code: number } }).error.code,
      -32600,
      'batches stay off: the session negotiated 2025-11-25',
    );
  });

  it('[RPC-18] refuses requests before initialize', async () => {
    const r = await post(t.gw.url, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}', {
      authorization: `Bearer ${key}`,
    });
    assert.equal(r.status, 400);
  });

  it("[SE-1] a session id is useless with another agent's credential", async () => {
    const stolen = { ...h, authorization: `Bearer ${other}` };
    const r = await post(t.gw.url, call('1', 'probe.echo', { text: 'x' }), stolen);
    assert.equal(r.status, 404);
  });

  it('[SE-6] refuses a foreign Host with or without Origin, and a foreign Origin', async () => {
    const attempts: Record<string, string>[] = [
      { host: 'attacker.test', origin: 'http://attacker.test' },
      { host: 'attacker.test' },
      { origin: 'http://attacker.test' },
    ];
    for (const extra of attempts) {
      const r = await rawRequest(t.gw.url, { ...h, ...extra }, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
      assert.equal(r, 403, JSON.stringify(extra));
    }
    assert.equal(await rawRequest(t.gw.url, h, '{"jsonrpc":"2.0","id":1,"method":"ping"}'), 200);
  });

  it('[DoS-2] times out a hung upstream call and keeps serving', async () => {
    const r = await post(t.gw.url, call('1', 'probe.slow', { ms: 5000 }), h);
    assert.equal((r.json as { error: { code: number } }).error.code, -32001);
    const ok = await post(t.gw.url, call('2', 'probe.echo', { text: 'still here' }), h);
    assert.match(ok.text, /still here/);
  });

  it('[G-FAULT-1] gives a clean error when the upstream dies mid-call, then restarts it', async () => {
    const s = await rawSession(t.gw.url, key);
    await post(t.gw.url, call('1', 'probe.echo', { text: 'warm' }), s);
    const r = await post(t.gw.url, call('2', 'probe.crash', {}), s);
    assert.equal((r.json as { error: { code: number } }).error.code, -32011);
    let answered = false;
    for (let i = 0; i < 40 && !answered; i++) {
      await new Promise((res) => setTimeout(res, 100));
      answered = /back again/.test(
        (await post(t.gw.url, call(String(3 + i), 'probe.echo', { text: 'back again' }), s)).text,
      );
    }
    assert.ok(answered, 'the upstream was not restarted');
  });
});

/** A raw HTTP/1.1 request (fetch will not let a test set Host). Returns the status code. */
async function rawRequest(url: string, headers: Record<string, string>, body: string): Promise<number> {
  const { request } = await import('node:http');
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
