/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the bytes that hashes and signatures cover
 * (tool pins, audit records, catalog entries). Owned here rather than taken from a package
 * because every security hash in Warden depends on it.
 *
 * - object members sorted by UTF-16 code units of their names, no whitespace;
 * - strings escaped as JSON.stringify does (which matches RFC 8785: only `"`, `\\` and
 *   control characters are escaped, lone surrogates as \uXXXX);
 * - numbers in ECMAScript Number-to-String form (JSON.stringify); non-finite numbers rejected.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, 0);
}

const MAX_DEPTH = 1000;

/**
 * Written for the audit log's hot path (every record is sealed with it): one string built by
 * concatenation, keys sorted in place, no intermediate arrays per member.
 */
function serialize(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new RangeError('canonicalJson: nesting deeper than 1000');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (i > 0) out += ',';
          out += serialize(v === undefined ? null : v, depth + 1);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, which is what RFC 8785 asks for.
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        out += (first ? '' : ',') + JSON.stringify(k) + ':' + serialize(v, depth + 1);
        first = false;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialize a ${typeof value}`);
  }
}
