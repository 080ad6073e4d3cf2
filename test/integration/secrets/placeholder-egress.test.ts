import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createRedactor,
  createSubstituter,
  placeholderFor,
  redactingLogger,
  countOccurrences,
} from '../../../src/secrets/index.ts';
import type { OutgoingRequest } from '../../../src/secrets/index.ts';
import { MemoryLogger } from '../../../src/core/index.ts';

const VALUE = 'ghp_LoopbackReal_5Tq9Wm2Xz8';

interface Recorder {
  server: Server;
  seen: string[];
  host: string;
}

async function recorder(respond: (auth: string) => { status: number; body: string }): Promise<Recorder> {
  const seen: string[] = [];
  const server = createServer((rq, rs) => {
    const chunks: Buffer[] = [];
    rq.on('data', (c: Buffer) => chunks.push(c));
    rq.on('end', () => {
      seen.push(
        `${rq.method} ${rq.url}\n${JSON.stringify(rq.headers)}\n${Buffer.concat(chunks).toString('utf8')}`,
      );
      const out = respond(String(rq.headers.authorization ?? ''));
      rs.writeHead(out.status, { 'content-type': 'text/plain' }).end(out.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A minimal egress hop: what the proxy does with each request leaving the sandbox. */
async function egress(
  sub: ReturnType<typeof createSubstituter>,
  req: OutgoingRequest,
): Promise<{ status: number; body: string } | { refused: string }> {
  const r = sub(req);
  if (!r.ok) return { refused: r.reason };
  const res = await fetch(
    `http://${r.request.host}${new URL(r.request.url).pathname}${new URL(r.request.url).search}`,
    {
      method: r.request.body === undefined ? 'GET' : 'POST',
      headers: r.request.headers as Record<string, string>,
      ...(r.request.body === undefined ? {} : { body: r.request.body }),
    },
  );
  return { status: res.status, body: await res.text() };
}

describe('placeholder twin over real loopback servers', () => {
  let bound: Recorder;
  let other: Recorder;
  before(async () => {
    bound = await recorder((auth) => ({ status: 500, body: `upstream error: bad credentials in "${auth}"` }));
    other = await recorder(() => ({ status: 200, body: 'ok' }));
  });
  after(() => {
    bound.server.close();
    other.server.close();
  });

  it('[CD-5] the real value reaches the bound host only; the other host receives nothing', async () => {
    const ph = placeholderFor('GITHUB_TOKEN');
    const sub = createSubstituter([
      { name: 'GITHUB_TOKEN', placeholder: ph, value: VALUE, hosts: [bound.host] },
    ]);
    const headers = { authorization: `Bearer ${ph}` };
    const ok = await egress(sub, { host: bound.host, url: `http://${bound.host}/user`, headers });
    assert.ok('status' in ok);
    const denied = await egress(sub, { host: other.host, url: `http://${other.host}/collect`, headers });
    assert.ok('refused' in denied);
    const exfil = await egress(sub, {
      host: other.host,
      url: `http://${other.host}/q?x=${encodeURIComponent(VALUE)}`,
      headers: {},
    });
    assert.ok('refused' in exfil);
    assert.equal(bound.seen.length, 1);
    assert.ok(bound.seen[0]!.includes(VALUE));
    assert.ok(!bound.seen[0]!.includes(ph), 'the placeholder was swapped, not forwarded');
    assert.deepEqual(other.seen, []);
  });

  it('[SB-5] an upstream 500 echoing the Authorization header is redacted before anyone reads it', async () => {
    const ph = placeholderFor('GITHUB_TOKEN');
    const sub = createSubstituter([
      { name: 'GITHUB_TOKEN', placeholder: ph, value: VALUE, hosts: [bound.host] },
    ]);
    const res = await egress(sub, {
      host: bound.host,
      url: `http://${bound.host}/fail`,
      headers: { authorization: `Bearer ${ph}` },
    });
    assert.ok('status' in res && res.status === 500);
    assert.ok(res.body.includes(VALUE), 'positive control: the upstream really echoed the secret');
    const redactor = createRedactor({ values: [{ name: 'GITHUB_TOKEN', value: VALUE }], patterns: true });
    const err = new Error(`upstream 500: ${res.body}`);
    const logs = new MemoryLogger();
    const log = redactingLogger(logs, redactor);
    log.error('tool call failed', { err, body: res.body });
    const agentView = redactor.redact(err.message).text;
    assert.equal(
      countOccurrences([agentView, logs.text()], [{ name: 'GITHUB_TOKEN', value: VALUE }]).total,
      0,
    );
    assert.match(agentView, /\[REDACTED:secret:GITHUB_TOKEN\]/);
  });
});
