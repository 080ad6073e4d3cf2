export type {
  Trust,
  Verdict,
  DetectorMode,
  Severity,
  DetectorName,
  ContentFindings,
  GrantScope,
  GrantRefusal,
  MonitorEvent,
  Alert,
  Detection,
} from './types.ts';
export { DETECTOR_NAMES } from './types.ts';
export { MonitorError } from './errors.ts';
export type { MonitorErrorCode } from './errors.ts';
export { monitorConfigSchema, parseMonitorConfig } from './schema.ts';
export type { MonitorConfig, MonitorConfigInput } from './schema.ts';
export { welfordAdd, welfordStd, zScore, jensenShannon, EMPTY_WELFORD } from './stats.ts';
export type { Welford } from './stats.ts';
export { argFeatures, asPath, asHost, pathPrefix, pathPrefixes, isSensitivePath } from './args.ts';
export type { ArgFeature } from './args.ts';
export { emptyBaseline, observe, observeRate, isLearning, toolKey } from './baseline.ts';
export type { AgentBaseline, ToolProfile, ParamProfile, Limits } from './baseline.ts';
export { BaselineStore, MONITOR_MIGRATIONS } from './baseline-store.ts';
export { newSessionState, taintSession, sessionTaint, SUSPICIOUS_LABEL } from './session.ts';
export type { SessionState, SessionTaint } from './session.ts';
export {
  PRE_DETECTORS,
  POST_DETECTORS,
  firstTool,
  newEgress,
  outOfScope,
  outOfGrant,
  rateSpike,
  outputAnomaly,
  toxicFlow,
  drift,
  hostMatches,
  underPath,
  isSensitiveTool,
  globMatch,
} from './detectors/index.ts';
export type { Detector, DetectorState } from './detectors/index.ts';
export { AlertHub } from './alerts.ts';
export type { AlertSink, AlertHubOptions } from './alerts.ts';
export { LogSink, RingSink, CallbackSink } from './sinks.ts';
export { WebhookSink, signBody } from './webhook.ts';
export type { WebhookSinkOptions, WebhookStats } from './webhook.ts';
export { Monitor } from './monitor.ts';
export type { MonitorOptions, MonitorDecision } from './monitor.ts';
export { labelContent, applyTrustLabel, frameText, TRUST_META_KEY } from './labels.ts';
export type { LabelInput, ContentLabel, FrameOptions } from './labels.ts';
export { inspectContent, printable } from './inspect/inspect.ts';
export type { InjectionFinding, InspectResult, InspectOptions } from './inspect/inspect.ts';
export { TEXT_RULES } from './inspect/rules.ts';
export type { TextRule, RuleSeverity } from './inspect/rules.ts';
export { MetricsRegistry, Counter, Gauge, Histogram, METRICS_CONTENT_TYPE } from './metrics.ts';
export { WardenMetrics, LATENCY_BUCKETS_S } from './warden-metrics.ts';
export { toolCallSpan, hrTime, otlpContentType } from './otel.ts';
export type { SpanInput, AttrValue, OtlpProtocol } from './otel.ts';
export { OtlpHttpExporter, retryAfterMs } from './otlp-exporter.ts';
export type { OtlpExporterOptions, OtlpExporterStats } from './otlp-exporter.ts';
export { buildTimeline, renderTimeline, monitorEventFromRecord } from './trace.ts';
export type { TraceRecord, TimelineEntry } from './trace.ts';
export { formatAlert, formatInspect, inspectExitCode } from './format.ts';
export { followAlerts } from './follow.ts';
export type { FollowOptions } from './follow.ts';
export { resultText } from './content-text.ts';
