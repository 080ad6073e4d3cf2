/**
 * The OTLP/HTTP exporter against a loopback OTLP receiver that decodes with the official OTLP
 * protobuf schema (test/helpers/otlp-receiver.ts says why it is not a Collector binary), for both
 * encodings, and the OTLP spec's response handling: partial success, retryable and
 * non-retryable statuses, Retry-After, a bounded queue that never blocks the caller.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SESSION_ID,
  ATTR_SERVICE_NAME,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from '@opentelemetry/semantic-conventions/incubating';
import { MemoryLogger } from '../../../src/core/index.ts';
import { OtlpHttpExporter, retryAfterMs, toolCallSpan } from '../../../src/monitor/index.ts';
import type { OtlpProtocol, SpanInput } from '../../../src/monitor/index.ts';
import { attr, otlpReceiver } from '../../helpers/otlp-receiver.ts';
import type { Reply } from '../../helpers/otlp-receiver.ts';

const TRACE = 'a1'.repeat(16);
const okSpan = toolCallSpan(
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
    traceId: TRACE,
    spanId: 'b2'.repeat(8),
    parentSpanId: 'c3'.repeat(8),
  },
  { callId: '42', policyIds: ['p1', 'p2'] },
);
const deniedSpan = toolCallSpan(
  {
    time: 1_767_225_601_000,
    agent: 'agent-a',
    method: 'tools/call',
    server: 'fs',
    tool: 'rm',
    decision: 'deny',
    seq: 18,
    traceId: TRACE,
    spanId: 'd4'.repeat(8),
    parentSpanId: 'c3'.repeat(8),
  },
  { callId: '43', errorType: 'ERR_POLICY_DENIED' },
);

function span(i: number): SpanInput {
  return toolCallSpan({
    time: 1_767_225_600_000 + i,
    agent: 'a',
    method: 'tools/call',
    tool: 't',
    traceId: TRACE,
    spanId: (i + 1).toString(16).padStart(16, '0'),
  });
}

async function exportTwo(protocol: OtlpProtocol | undefined) {
  const rx = await otlpReceiver();
  const exp = new OtlpHttpExporter({
    endpoint: rx.endpoint,
    ...(protocol === undefined ? {} : { protocol }),
    serviceName: 'warden-test',
    logger: new MemoryLogger(),
    headers: { authorization: 'Bearer otlp-canary' },
  });
  exp.export(okSpan);
  exp.export(deniedSpan);
  await exp.shutdown();
  await rx.close();
  return { rx, exp };
}

describe('OTLP/HTTP trace export, decoded with the official OTLP schema', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: execute_tool spans carry the GenAI and MCP semantic conventions, ids, parent and status`, async () => {
      const { rx, exp } = await exportTwo(protocol);
      assert.equal(exp.protocol, protocol);
      assert.equal(rx.received.length, 1);
      const got = rx.received[0]!;
      assert.equal(
        got.contentType,
        protocol === 'http/protobuf' ? 'application/x-protobuf' : 'application/json',
      );
      assert.equal(got.headers.authorization, 'Bearer otlp-canary');
      const rs = got.request.resourceSpans;
      assert.equal(rs.length, 1);
      const svc = rs[0]!.resource.attributes.find((a) => a.key === ATTR_SERVICE_NAME);
      assert.deepEqual(svc?.value, { stringValue: 'warden-test' });
      assert.equal(rs[0]!.scopeSpans.length, 1);
      const scope = rs[0]!.scopeSpans[0]!.scope;
      assert.deepEqual([scope.name, scope.version], ['warden', '0.1.0']);
      const [ok, denied] = rs[0]!.scopeSpans[0]!.spans;
      // names from @opentelemetry/semantic-conventions, not our own strings
      assert.equal(ok!.name, `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} read_file`);
      assert.equal(ok!.kind, 1, 'SPAN_KIND_INTERNAL');
      assert.equal(ok!.traceId, TRACE);
      assert.equal(ok!.spanId, 'b2'.repeat(8));
      assert.equal(ok!.parentSpanId, 'c3'.repeat(8));
      assert.deepEqual(attr(ok!, ATTR_GEN_AI_OPERATION_NAME), { stringValue: 'execute_tool' });
      assert.deepEqual(attr(ok!, ATTR_GEN_AI_TOOL_NAME), { stringValue: 'read_file' });
      assert.deepEqual(attr(ok!, ATTR_GEN_AI_TOOL_TYPE), { stringValue: 'extension' });
      assert.deepEqual(attr(ok!, ATTR_GEN_AI_TOOL_CALL_ID), { stringValue: '42' });
      assert.deepEqual(attr(ok!, ATTR_GEN_AI_AGENT_ID), { stringValue: 'agent-a' });
      assert.deepEqual(attr(ok!, ATTR_MCP_METHOD_NAME), { stringValue: 'tools/call' });
      assert.deepEqual(attr(ok!, ATTR_MCP_SESSION_ID), { stringValue: 's1' });
      assert.deepEqual(attr(ok!, ATTR_JSONRPC_REQUEST_ID), { stringValue: '42' });
      assert.deepEqual(attr(ok!, 'warden.audit.seq'), { intValue: '17' });
      assert.deepEqual(attr(ok!, 'warden.policy_ids'), {
        arrayValue: { values: [{ stringValue: 'p1' }, { stringValue: 'p2' }] },
      });
      assert.equal(attr(ok!, ATTR_ERROR_TYPE), undefined);
      assert.equal(ok!.startTimeUnixNano, '1767225600100000000');
      assert.equal(BigInt(ok!.endTimeUnixNano) - BigInt(ok!.startTimeUnixNano), 23_000_000n);
      assert.equal(ok!.status.code ?? 0, 0, 'STATUS_CODE_UNSET');
      assert.equal(denied!.status.code, 2, 'STATUS_CODE_ERROR');
      assert.equal(denied!.status.message, 'ERR_POLICY_DENIED');
      assert.deepEqual(attr(denied!, ATTR_ERROR_TYPE), { stringValue: 'ERR_POLICY_DENIED' });
      assert.deepEqual(exp.stats, {
        exported: 2,
        dropped: 0,
        failedBatches: 0,
        rejectedSpans: 0,
        retries: 0,
      });
    });
  }

  it('protobuf is the default encoding, and both encodings decode to the same request', async () => {
    const pb = await exportTwo(undefined);
    const js = await exportTwo('http/json');
    assert.equal(pb.rx.received[0]!.contentType, 'application/x-protobuf');
    assert.deepEqual(pb.rx.received[0]!.request, js.rx.received[0]!.request);
  });

  it('a receiver that cannot decode the body answers 400: the exporter does not retry it (OTLP spec)', async () => {
    // the twin of the tests above: the receiver really rejects what does not fit the schema
    const rx = await otlpReceiver();
    const res = await fetch(rx.endpoint + '/v1/traces', {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
    });
    assert.equal(res.status, 400);
    const bad = await fetch(rx.endpoint + '/v1/traces', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'not-hex!' }] }] }] }),
    });
    assert.equal(bad.status, 400);
    assert.equal(rx.received.length, 0);
    await rx.close();
  });

  it('logs and counts a partial success and does not retry it', async () => {
    const rx = await otlpReceiver([
      { status: 200, partialSuccess: { rejectedSpans: 1, errorMessage: 'span rm: attribute limit' } },
    ]);
    const log = new MemoryLogger();
    const exp = new OtlpHttpExporter({ endpoint: rx.endpoint, logger: log, backoffMs: 5 });
    exp.export(okSpan);
    exp.export(deniedSpan);
    await exp.shutdown();
    await rx.close();
    assert.equal(rx.attempts, 1);
    assert.deepEqual(exp.stats, { exported: 1, dropped: 0, failedBatches: 0, rejectedSpans: 1, retries: 0 });
    assert.match(log.text(), /partial success/);
    assert.match(log.text(), /attribute limit/);
  });

  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`${protocol}: retries 429, 502, 503 and 504 with backoff, then delivers`, async () => {
      const replies: Reply[] = [{ status: 429 }, { status: 502 }, { status: 503 }, { status: 504 }];
      const rx = await otlpReceiver(replies);
      const exp = new OtlpHttpExporter({
        endpoint: rx.endpoint,
        protocol,
        logger: new MemoryLogger(),
        backoffMs: 5,
      });
      exp.export(okSpan);
      await exp.shutdown();
      await rx.close();
      assert.equal(rx.attempts, 5);
      assert.deepEqual(exp.stats, {
        exported: 1,
        dropped: 0,
        failedBatches: 0,
        rejectedSpans: 0,
        retries: 4,
      });
    });
  }

  for (const status of [400, 401, 403, 404, 413, 500, 501]) {
    it(`does not retry a ${status} (not retryable per the OTLP spec); the batch is dropped and counted`, async () => {
      const rx = await otlpReceiver([{ status }]);
      const log = new MemoryLogger();
      const exp = new OtlpHttpExporter({
        endpoint: rx.endpoint,
        logger: log,
        backoffMs: 5,
        headers: { authorization: 'Bearer otlp-canary' },
      });
      exp.export(okSpan);
      await exp.shutdown();
      await rx.close();
      assert.equal(rx.attempts, 1);
      assert.deepEqual(exp.stats, {
        exported: 0,
        dropped: 0,
        failedBatches: 1,
        rejectedSpans: 0,
        retries: 0,
      });
      assert.match(log.text(), new RegExp(`"status":${status}`));
      assert.equal(log.text().includes('otlp-canary'), false);
    });
  }

  it('honours Retry-After on a 503', async () => {
    const rx = await otlpReceiver([{ status: 503, headers: { 'retry-after': '1' } }]);
    const exp = new OtlpHttpExporter({ endpoint: rx.endpoint, logger: new MemoryLogger(), backoffMs: 1 });
    exp.export(okSpan);
    await exp.shutdown();
    await rx.close();
    assert.equal(rx.received.length, 2);
    const gap = rx.received[1]!.at - rx.received[0]!.at;
    assert.ok(gap >= 900, `waited ${gap} ms, Retry-After asked for 1000`);
    assert.equal(exp.stats.exported, 1);
    assert.equal(retryAfterMs('120', 0), 120_000);
    assert.equal(retryAfterMs(new Date(5_000).toUTCString(), 2_000), 3_000);
    assert.equal(retryAfterMs('soon', 0), undefined);
  });

  it('gives up after maxAttempts on a receiver that stays unavailable or unreachable, without throwing', async () => {
    const rx = await otlpReceiver(Array.from({ length: 3 }, () => ({ status: 503 })));
    const log = new MemoryLogger();
    const exp = new OtlpHttpExporter({ endpoint: rx.endpoint, logger: log, backoffMs: 5, maxAttempts: 3 });
    exp.export(okSpan);
    await exp.shutdown();
    await rx.close();
    assert.equal(rx.attempts, 3);
    assert.deepEqual(exp.stats, { exported: 0, dropped: 0, failedBatches: 1, rejectedSpans: 0, retries: 2 });
    // the receiver is gone now: connection refused is retried the same way
    const gone = new OtlpHttpExporter({ endpoint: rx.endpoint, logger: log, backoffMs: 5, maxAttempts: 2 });
    gone.export(okSpan);
    await gone.shutdown();
    assert.deepEqual(gone.stats, { exported: 0, dropped: 0, failedBatches: 1, rejectedSpans: 0, retries: 1 });
  });

  it('never blocks the caller: a stalled receiver fills a bounded queue, overflow is dropped and counted', async () => {
    const rx = await otlpReceiver([{ status: 200, hold: true }]);
    const exp = new OtlpHttpExporter({
      endpoint: rx.endpoint,
      logger: new MemoryLogger(),
      maxBatch: 5,
      maxQueue: 10,
      intervalMs: 60_000,
    });
    for (let i = 0; i < 5; i++) exp.export(span(i)); // a full batch: sent at once, then stalled
    while (rx.held === 0) await new Promise((r) => setTimeout(r, 20));
    for (let i = 5; i < 25; i++) exp.export(span(i)); // synchronous: returns while the receiver stalls
    assert.equal(exp.queued, 10);
    assert.equal(exp.stats.dropped, 10);
    assert.equal(rx.received.length, 1);
    rx.release();
    await exp.shutdown();
    await rx.close();
    assert.equal(exp.stats.exported, 15);
    assert.deepEqual(
      rx.spans().map((s) => parseInt(s.spanId, 16) - 1),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
    );
  });

  it('refuses span ids the OTLP spec forbids (a programmer error, not a silent bad export)', async () => {
    const exp = new OtlpHttpExporter({ endpoint: 'http://127.0.0.1:9', logger: new MemoryLogger() });
    assert.throws(() => exp.export({ ...okSpan, traceId: '0'.repeat(32) }), TypeError);
    assert.throws(() => exp.export({ ...okSpan, spanId: 'XYZ' }), TypeError);
    assert.equal(exp.queued, 0);
    await exp.shutdown();
  });
});
