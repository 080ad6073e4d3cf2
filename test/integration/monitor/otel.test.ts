import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryLogger } from '../../../src/core/index.ts';
import { OtlpHttpExporter, toolCallSpan } from '../../../src/monitor/index.ts';

type KV = { key: string; value: Record<string, unknown> };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KV[];
  status: { code: number };
};
type OtlpBody = {
  resourceSpans: {
    resource: { attributes: KV[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
};

/** A loopback OTLP/HTTP receiver for the JSON encoding: decodes ExportTraceServiceRequest bodies. */
async function otlpReceiver(status = 200) {
  const bodies: OtlpBody[] = [];
  const headers: Record<string, string | string[] | undefined>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        req.headers['content-type'] !== 'application/json'
      ) {
        res.statusCode = 415;
        res.end();
        return;
      }
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody);
      headers.push(req.headers);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    headers,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const attr = (s: OtlpSpan, k: string) => s.attributes.find((a) => a.key === k)?.value;

describe('OTLP/HTTP trace export', () => {
  it('exports tool-call spans with the GenAI execute_tool conventions to a real OTLP receiver', async () => {
    const rx = await otlpReceiver();
    const exp = new OtlpHttpExporter({
      endpoint: rx.endpoint,
      serviceName: 'warden-test',
      logger: new MemoryLogger(),
      headers: { authorization: 'Bearer otlp-canary' },
    });
    const traceId = 'a'.repeat(32);
    exp.export(
      toolCallSpan(
        {
          time: 1_767_225_600_123,
          durationMs: 23,
          agent: 'agent-a',
          session: 's1',
          method: 'tools/call',
          server: 'fs',
          tool: 'read_file',
          decision: 'allow',
          outcome: 'ok',
          seq: 17,
          traceId,
          spanId: 'b'.repeat(16),
          parentSpanId: 'c'.repeat(16),
        },
        { callId: '42', policyIds: ['p1'] },
      ),
    );
    exp.export(
      toolCallSpan({
        time: 1_767_225_601_000,
        agent: 'agent-a',
        method: 'tools/call',
        server: 'fs',
        tool: 'rm',
        decision: 'deny',
        traceId,
        spanId: 'd'.repeat(16),
      }),
    );
    await exp.shutdown();
    await rx.close();
    assert.equal(rx.bodies.length, 1);
    const rs = rx.bodies[0]!.resourceSpans[0]!;
    assert.deepEqual(rs.resource.attributes.find((a) => a.key === 'service.name')?.value, {
      stringValue: 'warden-test',
    });
    const [ok, denied] = rs.scopeSpans[0]!.spans;
    assert.equal(ok!.name, 'execute_tool read_file');
    assert.equal(ok!.traceId, traceId);
    assert.equal(ok!.parentSpanId, 'c'.repeat(16));
    assert.deepEqual(attr(ok!, 'gen_ai.operation.name'), { stringValue: 'execute_tool' });
    assert.deepEqual(attr(ok!, 'gen_ai.tool.name'), { stringValue: 'read_file' });
    assert.deepEqual(attr(ok!, 'gen_ai.tool.call.id'), { stringValue: '42' });
    assert.deepEqual(attr(ok!, 'warden.audit.seq'), { intValue: '17' });
    assert.equal(BigInt(ok!.endTimeUnixNano) - BigInt(ok!.startTimeUnixNano), 23_000_000n);
    assert.equal(ok!.status.code, 0);
    assert.equal(denied!.status.code, 2);
    assert.deepEqual(attr(denied!, 'error.type'), { stringValue: 'denied' });
    assert.equal(rx.headers[0]!.authorization, 'Bearer otlp-canary');
  });

  it('counts a failed batch after retries when the receiver keeps failing, without throwing', async () => {
    const rx = await otlpReceiver(503);
    const log = new MemoryLogger();
    const exp = new OtlpHttpExporter({
      endpoint: rx.endpoint,
      logger: log,
      backoffMs: 5,
      headers: { authorization: 'Bearer otlp-canary' },
    });
    exp.export(
      toolCallSpan({
        time: 1,
        agent: 'a',
        method: 'tools/call',
        tool: 't',
        traceId: '1'.repeat(32),
        spanId: '2'.repeat(16),
      }),
    );
    await exp.shutdown();
    await rx.close();
    assert.equal(rx.bodies.length, 3);
    assert.deepEqual(exp.stats, { exported: 0, dropped: 0, failedBatches: 1 });
    assert.equal(log.text().includes('otlp-canary'), false);
  });
});
