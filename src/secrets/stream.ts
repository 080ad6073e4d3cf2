/**
 * Stream redaction: secrets split across chunks at any offset are still found. The stream
 * redactor holds back `redactor.holdback` code units (the longest known form minus one, or the
 * pattern overlap when pattern rules are on): any match not yet complete must start inside that
 * tail, so everything before it can be emitted. A finding that crosses the cut moves the cut
 * back to its start. Output is released in batches of at least `holdback` characters, so the
 * scanning cost per character stays bounded whatever the chunk sizes; `flush` releases the rest.
 */
import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { applyFindings } from './redactor.ts';
import type { Finding, Redactor } from './redactor.ts';

export interface StreamRedactor {
  /** Adds a chunk; returns the redacted text that is now safe to emit (possibly ''). */
  push(chunk: string): string;
  /** Ends the stream; returns the redacted remainder. */
  flush(): string;
  /** Findings so far, with offsets into the whole input stream. */
  readonly findings: readonly Finding[];
}

export function createStreamRedactor(redactor: Redactor): StreamRedactor {
  let pending = '';
  let offset = 0;
  const findings: Finding[] = [];

  function emit(final: boolean): string {
    const found = redactor.find(pending);
    let cut = final ? pending.length : pending.length - redactor.holdback;
    if (cut <= 0) return '';
    for (const f of found) if (f.start < cut && f.end > cut) cut = f.start;
    if (!final && cut > 0 && isHighSurrogate(pending.charCodeAt(cut - 1))) cut--;
    if (cut <= 0) return '';
    const done = found.filter((f) => f.end <= cut);
    for (const f of done) findings.push({ ruleId: f.ruleId, start: f.start + offset, end: f.end + offset });
    const out = applyFindings(pending.slice(0, cut), done);
    pending = pending.slice(cut);
    offset += cut;
    return out;
  }

  return {
    push(chunk: string): string {
      pending += chunk;
      // Scan only once at least `holdback` new characters can leave: tiny chunks (an upstream
      // trickling one byte at a time) would otherwise rescan the held tail for every byte.
      if (pending.length < 2 * redactor.holdback) return '';
      return emit(false);
    },
    flush(): string {
      return emit(true);
    },
    get findings() {
      return findings;
    },
  };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/**
 * A Node Transform (bytes or strings in, UTF-8 strings out) that redacts as data flows, e.g.
 * an upstream server's stderr or `warden redact` from stdin to stdout.
 */
export function redactStream(redactor: Redactor): Transform {
  const decoder = new StringDecoder('utf8');
  const sr = createStreamRedactor(redactor);
  return new Transform({
    decodeStrings: false,
    transform(chunk: Buffer | string, _enc, cb) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const out = sr.push(text);
      cb(null, out.length > 0 ? out : undefined);
    },
    flush(cb) {
      const out = sr.push(decoder.end()) + sr.flush();
      cb(null, out.length > 0 ? out : undefined);
    },
  });
}
