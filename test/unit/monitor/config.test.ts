import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMonitorConfig } from '../../../src/monitor/index.ts';

describe('monitor config', () => {
  it('fills defaults: every detector alerts, injection findings from suspicious up', () => {
    const c = parseMonitorConfig(undefined);
    assert.equal(c.detectors['first-tool'].mode, 'alert');
    assert.equal(c.detectors['toxic-flow'].strict, false);
    assert.equal(c.detectors['output-anomaly'].injection, 'suspicious');
    assert.equal(c.limits.maxEntries, 20_000);
  });

  it('rejects a typo with its path, and an unknown mode', () => {
    assert.throws(() => parseMonitorConfig({ detectors: { 'first-tool': { mdoe: 'alert' } } }), {
      code: 'ERR_MONITOR_CONFIG',
      message: /monitor\.detectors\.first-tool/,
    });
    assert.throws(() => parseMonitorConfig({ detectors: { drift: { mode: 'panic' } } }), {
      code: 'ERR_MONITOR_CONFIG',
    });
    assert.throws(() => parseMonitorConfig({ detectors: { 'rate-spike': { windowMs: 0 } } }), {
      code: 'ERR_MONITOR_CONFIG',
    });
  });

  it('exports OTLP as protobuf by default; http/json on request; gRPC and typos refused with the path', () => {
    const endpoint = 'http://127.0.0.1:4318';
    assert.equal(parseMonitorConfig({ otlp: { endpoint } }).otlp?.protocol, 'http/protobuf');
    assert.equal(
      parseMonitorConfig({ otlp: { endpoint, protocol: 'http/json' } }).otlp?.protocol,
      'http/json',
    );
    assert.throws(() => parseMonitorConfig({ otlp: { endpoint, protocol: 'grpc' } }), {
      code: 'ERR_MONITOR_CONFIG',
      message: /^monitor\.otlp\.protocol: .*http\/protobuf or http\/json \(OTLP over gRPC is not supported\)/,
    });
    assert.throws(() => parseMonitorConfig({ otlp: { endpoint, protocl: 'http/json' } }), {
      code: 'ERR_MONITOR_CONFIG',
      message: /monitor\.otlp/,
    });
  });
});
