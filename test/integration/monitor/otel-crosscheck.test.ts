/**
 * Cross-check: the OpenTelemetry JS SDK with its own OTLP/HTTP protobuf exporter
 * (`@opentelemetry/exporter-trace-otlp-proto`) sends a span equivalent to one of ours to the same
 * receiver; both decode (with the official schema) to the same ExportTraceServiceRequest.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { MemoryLogger } from '../../../src/core/index.ts';
import { hrTime, OtlpHttpExporter, toolCallSpan } from '../../../src/monitor/index.ts';
import { otlpReceiver } from '../../helpers/otlp-receiver.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const PARENT = 'a3ce929d0e0e4736';

describe('OTLP cross-check with the OpenTelemetry JS SDK exporter', () => {
  it('our span and the SDK exporter’s equivalent span decode to the same request', async () => {
    const ours = toolCallSpan(
      {
        time: 1_767_225_600_500,
        durationMs: 12.5,
        agent: 'agent-a',
        session: 's1',
        method: 'tools/call',
        server: 'fs',
        tool: 'rm',
        decision: 'deny',
        seq: 7,
        traceId: TRACE,
        spanId: SPAN,
        parentSpanId: PARENT,
      },
      { callId: '9', policyIds: ['p1'], errorType: 'ERR_POLICY_DENIED' },
    );
    const rx = await otlpReceiver();
    try {
      const exp = new OtlpHttpExporter({
        endpoint: rx.endpoint,
        serviceName: 'warden',
        logger: new MemoryLogger(),
      });
      exp.export(ours);
      await exp.shutdown();

      const sdkExporter = new OTLPTraceExporter({ url: `${rx.endpoint}/v1/traces` });
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'warden' }),
        idGenerator: { generateTraceId: () => TRACE, generateSpanId: () => SPAN },
        spanProcessors: [new SimpleSpanProcessor({ exporter: sdkExporter })],
      });
      const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: PARENT, traceFlags: 1 });
      const attributes = Object.fromEntries(
        Object.entries(ours.attributes).filter(([, v]) => v !== undefined),
      ) as Record<string, string | number | string[]>;
      const span = provider
        .getTracer('warden', '0.1.0')
        .startSpan(
          ours.name,
          { kind: SpanKind.INTERNAL, startTime: hrTime(ours.startTimeMs), attributes },
          parent,
        );
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'ERR_POLICY_DENIED' });
      span.end(hrTime(ours.endTimeMs));
      await provider.forceFlush();
      await provider.shutdown();

      assert.equal(rx.received.length, 2);
      assert.equal(rx.received[1]!.contentType, 'application/x-protobuf');
      const [a, b] = rx.received.map((r) => r.request);
      // the SDK adds its own resource attributes (telemetry.sdk.*); compare service.name and the spans
      const svc = (x: typeof a) =>
        x!.resourceSpans[0]!.resource.attributes.find((k) => k.key === 'service.name');
      assert.deepEqual(svc(a), svc(b));
      assert.deepEqual(a!.resourceSpans[0]!.scopeSpans, b!.resourceSpans[0]!.scopeSpans);
    } finally {
      await rx.close();
    }
  });
});
