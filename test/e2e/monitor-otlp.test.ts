/**
 * OpenTelemetry export end to end: a real gateway (official SDK client, real stdio MCP server)
 * with `monitor.otlp.endpoint` pointing at an OTLP/HTTP receiver started by the test, which
 * decodes the ExportTraceServiceRequest (JSON encoding) the gateway sends. No OpenTelemetry
 * Collector binary is available offline here; the receiver checks the OTLP/JSON shape itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestGateway } from '../helpers/gateway.ts';
import { sessionSpanId, traceIdFor } from '../../src/gateway/index.ts';
import type { AuditRecord } from '../../src/audit/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROBE = join(ROOT, 'test', 'fixtures', 'servers', 'probe-server.mjs');

type Value = {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  arrayValue?: { values: Value[] };
};
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Value }[];
  status: { code: number };
}

/** An OTLP/HTTP trace receiver: POST /v1/traces, application/json, ExportTraceServiceRequest. */
async function receiver() {
  const spans: Span[] = [];
  const resources: Record<string, Value>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        req.headers['content-type'] !== 'application/json'
      ) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: Value }[] };
          scopeSpans: { scope: { name: string }; spans: Span[] }[];
        }[];
      };
      for (const rs of body.resourceSpans) {
        resources.push(Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value])));
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      // ExportTraceServiceResponse with no partial success
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    resources,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attr = (s: Span, k: string): Value | undefined => s.attributes.find((a) => a.key === k)?.value;

describe('OTLP traces from the gateway', () => {
  it('exports one execute_tool span per call, with GenAI attributes and the audit log trace ids', async () => {
    const rx = await receiver();
    const t = await startTestGateway({
      policies: {
        'p.cedar': `@id("echo-only") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"probe.echo");`,
      },
      yaml: () =>
        [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  probe:',
          `    command: ${process.execPath}`,
          `    args: [${JSON.stringify(PROBE)}]`,
          'monitor:',
          `  otlp: { endpoint: ${JSON.stringify(rx.endpoint)}, serviceName: warden-e2e }`,
          '',
        ].join('\n'),
    });
    let session = '';
    let records: AuditRecord[] = [];
    try {
      const c = await t.client(await t.agent('alice', ['dev']));
      session = (c.transport as StreamableHTTPClientTransport).sessionId!;
      await c.callTool({ name: 'probe.echo', arguments: { text: 'hi' } });
      await c.callTool({ name: 'probe.echo', arguments: { text: 'x' } });
      await assert.rejects(c.callTool({ name: 'probe.add', arguments: { a: 1, b: 2 } }), /Forbidden/);
      records = await t.gw.services.audit.tail(100);
    } finally {
      await t.cleanup(); // shutdown flushes the exporter
      await rx.close();
    }
    assert.equal(rx.resources[0]!['service.name']!.stringValue, 'warden-e2e');
    assert.equal(rx.spans.length, 3);
    const [ok] = rx.spans;
    const denied = rx.spans.find((s) => s.name === 'execute_tool add')!;
    for (const s of rx.spans) {
      assert.match(s.traceId, /^[0-9a-f]{32}$/);
      assert.match(s.spanId, /^[0-9a-f]{16}$/);
      assert.equal(s.traceId, traceIdFor('session', session));
      assert.equal(s.parentSpanId, sessionSpanId(session));
      assert.equal(s.kind, 1);
      assert.ok(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano));
      assert.equal(attr(s, 'gen_ai.operation.name')?.stringValue, 'execute_tool');
      assert.equal(attr(s, 'gen_ai.agent.id')?.stringValue, 'alice');
      assert.equal(attr(s, 'mcp.method.name')?.stringValue, 'tools/call');
    }
    assert.equal(ok!.name, 'execute_tool echo');
    assert.equal(attr(ok!, 'gen_ai.tool.name')?.stringValue, 'echo');
    assert.match(attr(ok!, 'gen_ai.tool.call.id')?.stringValue ?? '', /^\d+$/, 'the JSON-RPC id of the call');
    assert.equal(attr(ok!, 'warden.decision')?.stringValue, 'allow');
    assert.deepEqual(attr(ok!, 'warden.policy_ids')?.arrayValue?.values, [{ stringValue: 'echo-only' }]);
    assert.equal(attr(ok!, 'warden.trust')?.stringValue, 'untrusted');
    assert.equal(ok!.status.code, 0);
    assert.equal(denied.status.code, 2);
    assert.equal(attr(denied, 'warden.decision')?.stringValue, 'deny');
    assert.equal(attr(denied, 'error.type')?.stringValue, 'ERR_POLICY_DENIED');
    // the same ids are on the audit records: a span in a tracing UI leads back to `warden trace`
    const seq = Number(attr(ok!, 'warden.audit.seq')?.intValue);
    const decided = records.find((r) => r.seq === seq)!;
    assert.equal(decided.kind, 'mcp.request');
    assert.equal(decided.spanId, ok!.spanId);
    assert.equal(decided.traceId, ok!.traceId);
  });
});
