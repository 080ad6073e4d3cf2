/**
 * Per-session state the detectors read: taint (did this session ingest untrusted content?),
 * its labels and the audit evidence of the reads, and the last completed tool (for bigrams).
 */
export interface SessionState {
  readonly session: string;
  readonly agent: string;
  untrusted: boolean;
  /** True once content the injection detector flagged (trust `suspicious`) entered the session. */
  suspicious: boolean;
  /** Origins of the untrusted content read, e.g. `web/fetch`, `agent:planner` (capped). */
  labels: string[];
  /** Audit seqs of the reads that tainted the session (capped). */
  taintSeqs: number[];
  /** Tool of the last completed call. */
  lastCompleted?: string;
}

/**
 * The taint the policy engine receives as `context.taint` (matches the policy schema's record
 * `{ untrusted: Bool, labels: Set<String> }`). Content flagged by the injection detector adds the
 * label `suspicious`, so a policy can say `context.taint.labels.contains("suspicious")`.
 */
export interface SessionTaint {
  readonly untrusted: boolean;
  readonly labels: readonly string[];
}

export const SUSPICIOUS_LABEL = 'suspicious';

export const MAX_LABELS = 16;

export function newSessionState(session: string, agent: string): SessionState {
  return { session, agent, untrusted: false, suspicious: false, labels: [], taintSeqs: [] };
}

/** Marks the session as having read untrusted content from `origin` (evidence: `seq`). */
export function taintSession(s: SessionState, origin: string, seq?: number, suspicious = false): void {
  s.untrusted = true;
  if (suspicious) s.suspicious = true;
  // the cap first: a full list is not searched (every result of an untrusted server gets here)
  if (s.labels.length < MAX_LABELS && !s.labels.includes(origin)) s.labels.push(origin);
  if (seq !== undefined && s.taintSeqs.length < MAX_LABELS && !s.taintSeqs.includes(seq))
    s.taintSeqs.push(seq);
}

export function sessionTaint(s: SessionState | undefined): SessionTaint {
  if (!s) return { untrusted: false, labels: [] };
  return { untrusted: s.untrusted, labels: s.suspicious ? [...s.labels, SUSPICIOUS_LABEL] : [...s.labels] };
}
