/**
 * Responses from placeholder-bound hosts (issue 5, CD-5): a real value the host echoes back (an
 * error quoting the Authorization header, a token introspection endpoint) must not enter the
 * sandbox. The egress proxy streams each such response through a scrubber: the raw value becomes
 * the sandbox's placeholder again (so a program that compares what it sent still works); the value
 * in any other encoding the redactor knows, and any other secret of the broker (the guard),
 * becomes `[REDACTED:secret:<NAME>]`. Bodies are read as bytes (latin1), so offsets are byte
 * offsets; a match split across chunks is found because the last `longest form - 1` bytes are
 * held back until the next chunk or the end.
 */
import { createRedactor, replacementFor } from './redactor.ts';
import type { RawMatch, Redactor } from './redactor.ts';
import type { PlaceholderBinding } from './placeholders.ts';

export interface ResponseScrubber {
  push(chunk: Buffer): Buffer;
  flush(): Buffer;
}

/** Disjoint matches, leftmost first, longest first at the same start. */
function disjoint(matches: readonly RawMatch[]): RawMatch[] {
  const sorted = [...matches].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: RawMatch[] = [];
  let end = -1;
  for (const m of sorted) {
    if (m.start < end) continue;
    out.push(m);
    end = m.end;
  }
  return out;
}

/** A factory of scrubbers (one per response) for these bindings, plus every value `guard` knows. */
export function createResponseScrubberFactory(
  bindings: readonly PlaceholderBinding[],
  guard?: Redactor,
): () => ResponseScrubber {
  const values = bindings.flatMap((b) => {
    const bytes = Buffer.from(b.value, 'utf8').toString('latin1');
    return bytes === b.value
      ? [{ name: b.name, value: b.value }]
      : [
          { name: b.name, value: b.value },
          { name: b.name, value: bytes },
        ];
  });
  const own = createRedactor({ values });
  const byName = new Map(bindings.map((b) => [b.name, b]));
  const longest = Math.max(own.maxPatternLength, guard?.maxPatternLength ?? 0);
  const hold = Math.max(0, longest - 1);
  const replacement = (m: RawMatch, text: string): string => {
    const b = byName.get(m.name);
    if (b === undefined || m.encoding !== 'raw') return replacementFor(`secret:${m.name}`);
    const found = text.slice(m.start, m.end);
    return found === b.value || found === Buffer.from(b.value, 'utf8').toString('latin1')
      ? b.placeholder
      : replacementFor(`secret:${m.name}`);
  };
  return () => {
    let pending = '';
    const scan = (text: string, final: boolean): string => {
      const matches = disjoint([...own.matchKnown(text), ...(guard?.matchKnown(text) ?? [])]);
      let cut = final ? text.length : Math.max(0, text.length - hold);
      for (const m of matches) if (m.start < cut && m.end > cut) cut = m.end;
      const parts: string[] = [];
      let at = 0;
      for (const m of matches) {
        if (m.start >= cut) break;
        parts.push(text.slice(at, m.start), replacement(m, text));
        at = m.end;
      }
      parts.push(text.slice(at, cut));
      pending = text.slice(cut);
      return parts.join('');
    };
    return {
      push: (chunk) => Buffer.from(scan(pending + chunk.toString('latin1'), false), 'latin1'),
      flush: () => Buffer.from(scan(pending, true), 'latin1'),
    };
  };
}
