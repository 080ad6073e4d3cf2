/**
 * The monitor's own view of an event: a subset of the audit log's event input, so the monitor
 * does not depend on the audit module's internals. The gateway builds one per pipeline step.
 */
export type Trust = 'trusted' | 'untrusted' | 'suspicious';
export type Verdict = 'clean' | 'suspicious' | 'malicious';
export type DetectorMode = 'off' | 'alert' | 'block';
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export type DetectorName =
  'first-tool' | 'out-of-scope' | 'rate-spike' | 'output-anomaly' | 'new-egress' | 'toxic-flow' | 'drift';

export const DETECTOR_NAMES: readonly DetectorName[] = Object.freeze([
  'first-tool',
  'out-of-scope',
  'rate-spike',
  'output-anomaly',
  'new-egress',
  'toxic-flow',
  'drift',
]);

/** What a tool result (or egress attempt) was found to contain; produced by other modules. */
export interface ContentFindings {
  /** Number of secret-detector hits in the result (from the redactor). */
  readonly secrets?: number;
  /** The prompt-injection verdict for the result text (see `inspectContent`). */
  readonly injection?: Verdict;
  /** Rule ids of the injection findings, for the alert message. */
  readonly injectionRules?: readonly string[];
}

/** The grant the call was authorized under, when the gateway has one (paths and hosts in scope). */
export interface GrantScope {
  readonly paths?: readonly string[];
  readonly hosts?: readonly string[];
}

/**
 * A refusal by the task grant (issue 4), handed to the monitor after the refused call's
 * "decided" record exists: the agent probed outside what its task was granted.
 */
export interface GrantRefusal {
  readonly grantId: string;
  /** The grant's reason (secret-free; never echoes argument values). */
  readonly reason: string;
  /** The constrained parameter whose value was refused, when that was the cause. */
  readonly param?: string;
}

export interface MonitorEvent {
  /** Audit sequence number of the record this event corresponds to (evidence in alerts). */
  readonly seq?: number;
  /** Epoch milliseconds. */
  readonly time: number;
  /** The principal (agent id). */
  readonly agent: string;
  readonly session?: string;
  readonly task?: string;
  readonly traceId?: string;
  readonly spanId?: string;
  readonly parentSpanId?: string;
  /** 'tools/call', 'resources/read', 'egress', 'delegation/result', … */
  readonly method: string;
  readonly server?: string;
  readonly tool?: string;
  /** Arguments after redaction. */
  readonly args?: Readonly<Record<string, unknown>>;
  /** MCP tool annotations as declared (and pinned) by the server. */
  readonly annotations?: Readonly<{
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    openWorldHint?: boolean;
  }>;
  readonly grant?: GrantScope;
  /** For `method: 'egress'`: the host the sandbox tried to reach. */
  readonly egressHost?: string;
  readonly decision?: 'allow' | 'deny';
  readonly outcome?: 'ok' | 'error' | 'denied' | 'timeout';
  readonly durationMs?: number;
  readonly resultBytes?: number;
  readonly findings?: ContentFindings;
  /** The trust label given to the result (see `labelContent`). */
  readonly trust?: Trust;
}

export interface Alert {
  readonly id: string;
  readonly time: number;
  readonly severity: Severity;
  readonly detector: DetectorName;
  readonly agent: string;
  readonly task?: string;
  readonly session?: string;
  readonly message: string;
  /**
   * Audit sequence numbers of the records involved, plus the trace/span of the triggering call
   * (its own "decided" record may be written after `pre()` returns: link it by span).
   */
  readonly evidence: {
    readonly auditSeqs: readonly number[];
    readonly traceId?: string;
    readonly spanId?: string;
  };
  readonly mode: 'alert' | 'block';
  readonly dedupKey: string;
  /** How many occurrences this alert stands for (de-duplicated repeats are counted here). */
  readonly count: number;
}

/** What a detector returns: the Monitor stamps id, time, mode and count. */
export interface Detection {
  readonly detector: DetectorName;
  readonly severity: Severity;
  readonly message: string;
  readonly dedupKey: string;
  readonly auditSeqs: readonly number[];
  /** De-duplication window for this detection when it differs from the configured one (drift: a day). */
  readonly dedupMs?: number;
}
