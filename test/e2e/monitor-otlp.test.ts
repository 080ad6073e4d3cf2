/**
 * OpenTelemetry export end to end: a real gateway (official SDK client, real stdio MCP server)
 * with `monitor.otlp.endpoint` pointing at an OTLP/HTTP receiver started by the test, which
 * decodes the ExportTraceServiceRequest the gateway sends with the official OTLP protobuf schema
 * (protobuf, the default, and JSON). No OpenTelemetry Collector binary can be installed on this
 * machine; test/helpers/otlp-receiver.ts says what stands in for it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startTestGateway } from '../helpers/gateway.ts';
import { attr, otlpReceiver } from '../helpers/otlp-receiver.ts';
import { sessionSpanId, traceIdFor } from '../../src/gateway/index.ts';
import type { AuditRecord } from '../../src/audit/index.ts';
import { probeYaml } from '../helpers/probe.ts';

describe('OTLP traces from the gateway', () => {
  for (const protocol of ['default', 'http/json'] as const) {
    it(`${protocol}: one execute_tool span per call, with GenAI attributes and the audit log's trace ids`, async () => {
      const rx = await otlpReceiver();
      const proto = protocol === 'default' ? '' : `, protocol: ${protocol}`;
      const t = await startTestGateway({
        policies: {
          'p.cedar': `@id("echo-only") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"probe.echo");`,
        },
        yaml: () =>
          probeYaml([`otlp: { endpoint: ${JSON.stringify(rx.endpoint)}, serviceName: warden-e2e${proto} }`]),
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
      assert.equal(
        rx.received[0]!.contentType,
        protocol === 'default' ? 'application/x-protobuf' : 'application/json',
      );
      const resource = rx.received[0]!.request.resourceSpans[0]!.resource.attributes;
      assert.deepEqual(resource.find((a) => a.key === 'service.name')?.value, { stringValue: 'warden-e2e' });
      const spans = rx.spans();
      assert.equal(spans.length, 3);
      const [ok] = spans;
      const denied = spans.find((s) => s.name === 'execute_tool add')!;
      for (const s of spans) {
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
      assert.match(
        attr(ok!, 'gen_ai.tool.call.id')?.stringValue ?? '',
        /^\d+$/,
        'the JSON-RPC id of the call',
      );
      assert.equal(attr(ok!, 'warden.decision')?.stringValue, 'allow');
      assert.deepEqual(attr(ok!, 'warden.policy_ids')?.arrayValue?.values, [{ stringValue: 'echo-only' }]);
      assert.equal(attr(ok!, 'warden.trust')?.stringValue, 'untrusted');
      assert.equal(ok!.status.code ?? 0, 0);
      assert.equal(denied.status.code, 2);
      assert.equal(denied.status.message, 'ERR_POLICY_DENIED');
      assert.equal(attr(denied, 'warden.decision')?.stringValue, 'deny');
      assert.equal(attr(denied, 'error.type')?.stringValue, 'ERR_POLICY_DENIED');
      // the same ids are on the audit records: a span in a tracing UI leads back to `warden trace`
      for (const s of spans) {
        const seq = Number(attr(s, 'warden.audit.seq')?.intValue);
        const decided = records.find((r) => r.seq === seq)!;
        assert.equal(decided.kind, 'mcp.request');
        assert.equal(decided.spanId, s.spanId);
        assert.equal(decided.traceId, s.traceId);
        assert.equal(decided.parentSpanId, s.parentSpanId);
        assert.equal(decided.decision, attr(s, 'warden.decision')?.stringValue);
      }
    });
  }
});
