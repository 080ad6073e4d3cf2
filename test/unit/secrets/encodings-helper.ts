/**
 * Independent encoders for the redactor tests: built from Buffer/URI/JSON primitives, not from
 * src/secrets/encodings.ts, so a bug there cannot hide itself.
 */
export interface Embedded {
  readonly label: string;
  /** The text a tool might emit. */
  readonly text: string;
  /** Substrings that would reveal the secret if any survived redaction. */
  readonly leaks: readonly string[];
}

/** All windows of `n` characters of `s` (the whole string if shorter). */
function windows(s: string, n: number): string[] {
  if (s.length <= n) return [s];
  return Array.from({ length: s.length - n + 1 }, (_, i) => s.slice(i, i + n));
}

export function embeddings(secret: string, before = 'result: <', after = '> done'): Embedded[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out: Embedded[] = [];
  const plain = (label: string, enc: string): void => {
    out.push({ label, text: before + enc + after, leaks: windows(enc, Math.min(enc.length, 8)) });
  };
  plain('raw', secret);
  plain('hex', bytes.toString('hex'));
  plain('HEX', bytes.toString('hex').toUpperCase());
  plain('uri', encodeURIComponent(secret));
  plain(
    'uri-lower',
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  );
  plain('pct-all', [...bytes].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''));
  plain('pct-all-lower', [...bytes].map((b) => '%' + b.toString(16).padStart(2, '0')).join(''));
  const units = [...Array(secret.length).keys()].map((i) =>
    secret.charCodeAt(i).toString(16).padStart(4, '0'),
  );
  plain('json-u', units.map((u) => '\\u' + u).join(''));
  plain('json-U', units.map((u) => '\\u' + u.toUpperCase()).join(''));
  plain('json', JSON.stringify(secret).slice(1, -1));
  for (let k = 0; k < 3; k++) {
    for (const tail of [0, 1, 2]) {
      const blob = Buffer.concat([Buffer.from('xyz'.slice(0, k)), bytes, Buffer.from('QRS'.slice(0, tail))]);
      const std = blob.toString('base64');
      const variants: [string, string][] = [
        ['b64', std],
        ['b64-nopad', std.replace(/=+$/, '')],
        ['b64url', blob.toString('base64url')],
        ['b64url-pad', std.replace(/\+/g, '-').replace(/\//g, '_')],
      ];
      for (const [label, enc] of variants) {
        // The characters that depend on the secret's bytes only (edges excluded).
        const first = Math.ceil((8 * k) / 6);
        const last = Math.floor((8 * (k + bytes.length)) / 6);
        const core = enc.slice(first, last);
        out.push({ label: `${label}@${k}+${tail}`, text: before + enc + after, leaks: windows(core, 6) });
      }
    }
  }
  return out;
}

export function leaked(output: string, e: Embedded): string | undefined {
  return e.leaks.find((l) => output.includes(l));
}

function count(hay: string, needle: string): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) n++;
  return n;
}

/**
 * Like `leaked`, for random surrounding text: a window counts as leaked only if the output holds
 * it more often than the surrounding text alone does (random text may contain "toString").
 */
export function leakedBeyond(output: string, e: Embedded, context: readonly string[]): string | undefined {
  return e.leaks.find((l) => count(output, l) > context.reduce((n, c) => n + count(c, l), 0));
}
