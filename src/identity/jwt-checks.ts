import { errors as joseErrors } from 'jose';
import { IdentityError } from './errors.ts';

/**
 * Strict pre-checks on a compact JWS before any key is chosen (THREATS DL-9, DL-10):
 * shape and size, a header holding only the parameters we allow, no duplicate JSON keys.
 * Nothing decoded here is used for a decision except to refuse; claims are only read from
 * `jwtVerify`'s verified output.
 */
const SEGMENT_RE = /^[A-Za-z0-9_-]+$/;
export const MAX_JWT_LENGTH = 8192;

export interface CheckedHeader {
  readonly alg: string;
  readonly kid: string;
  readonly typ?: string;
}

export function checkCompactJws(
  token: string,
  allowed: { readonly headerKeys: ReadonlySet<string>; readonly kidRe: RegExp },
): CheckedHeader {
  if (token.length > MAX_JWT_LENGTH) throw invalid('token too large');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT_RE.test(p))) throw invalid('not a compact JWS');
  const headerJson = Buffer.from(parts[0]!, 'base64url').toString('utf8');
  const payloadJson = Buffer.from(parts[1]!, 'base64url').toString('utf8');
  if (hasDuplicateKeys(headerJson) || hasDuplicateKeys(payloadJson)) throw invalid('duplicate JSON keys');
  let header: unknown;
  try {
    header = JSON.parse(headerJson);
  } catch {
    throw invalid('header is not JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw invalid('header is not an object');
  const h = header as Record<string, unknown>;
  for (const k of Object.keys(h)) {
    // jku, x5u, jwk, x5c, crit, b64, … are refused outright: keys come only from our store.
    if (!allowed.headerKeys.has(k)) throw invalid(`header parameter ${k.slice(0, 16)} is not accepted`);
  }
  if (h.alg !== 'ES256') throw invalid('only ES256 is accepted');
  if (typeof h.kid !== 'string' || !allowed.kidRe.test(h.kid)) throw invalid('missing or malformed kid');
  if (h.typ !== undefined && typeof h.typ !== 'string') throw invalid('malformed typ');
  return { alg: h.alg, kid: h.kid, ...(typeof h.typ === 'string' ? { typ: h.typ } : {}) };
}

/** True when any JSON object in `json` repeats a key (JSON.parse would keep the last silently). */
export function hasDuplicateKeys(json: string): boolean {
  const stack: { keys: Set<string> | null; expectKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(json.slice(i, j + 1)) as string;
        } catch {
          return true;
        }
        if (top.keys.has(key)) return true;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ keys: null, expectKey: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return false;
}

/** Maps jose's verification errors to our codes without leaking token content. */
export function mapJoseError(e: unknown): IdentityError {
  if (e instanceof IdentityError) return e;
  if (e instanceof joseErrors.JWTExpired)
    return new IdentityError('ERR_TOKEN_EXPIRED', 'the token has expired');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    return invalid(`claim check failed (${e.claim}: ${e.reason})`);
  }
  if (e instanceof joseErrors.JOSEError) return invalid(`verification failed (${e.code})`);
  return invalid('verification failed');
}

export function invalid(message: string): IdentityError {
  return new IdentityError('ERR_TOKEN_INVALID', `invalid token: ${message}`);
}
