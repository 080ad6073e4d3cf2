/**
 * The only file that imports cedar-wasm. Every call is wrapped so that a thrown JS error from the
 * bindings (e.g. a string that is not valid UTF-16) becomes a value: callers fail closed on it.
 */
import * as wasm from '@cedar-policy/cedar-wasm/nodejs';
import type {
  AuthorizationAnswer,
  CheckParseAnswer,
  DetailedError,
  PartialAuthorizationAnswer,
  PartialAuthorizationCall,
  PolicyJson,
  PolicyToJsonAnswer,
  SchemaJson,
  StatefulAuthorizationCall,
  ValidationAnswer,
} from '@cedar-policy/cedar-wasm/nodejs';

export type {
  CedarValueJson,
  DetailedError,
  EntityJson,
  EntityUidJson,
  PolicyJson,
  ResidualResponse,
  Response as CedarResponse,
  SchemaJson,
  TypeAndId,
} from '@cedar-policy/cedar-wasm/nodejs';

function thrown(err: unknown): DetailedError {
  const message = err instanceof Error ? err.message : 'cedar-wasm threw a non-Error value';
  return { message: `cedar-wasm: ${message}`, help: null, code: null, url: null, severity: null };
}

export function cedarVersion(): string {
  return wasm.getCedarVersion();
}

export function policyToJson(text: string): PolicyToJsonAnswer {
  try {
    return wasm.policyToJson(text);
  } catch (e) {
    return { type: 'failure', errors: [thrown(e)] };
  }
}

export function validatePolicies(
  schema: SchemaJson<string>,
  policies: Record<string, string | PolicyJson>,
): ValidationAnswer {
  try {
    return wasm.validate({
      schema,
      policies: { staticPolicies: policies },
      validationSettings: { mode: 'strict' },
    });
  } catch (e) {
    return { type: 'failure', errors: [thrown(e)], warnings: [] };
  }
}

export function preparsePolicySet(id: string, policies: Record<string, string>): CheckParseAnswer {
  try {
    return wasm.preparsePolicySet(id, { staticPolicies: policies });
  } catch (e) {
    return { type: 'failure', errors: [thrown(e)] };
  }
}

export function statefulIsAuthorized(call: StatefulAuthorizationCall): AuthorizationAnswer {
  try {
    return wasm.statefulIsAuthorized(call);
  } catch (e) {
    return { type: 'failure', errors: [thrown(e)], warnings: [] };
  }
}

export function isAuthorizedPartial(call: PartialAuthorizationCall): PartialAuthorizationAnswer {
  try {
    return wasm.isAuthorizedPartial(call);
  } catch (e) {
    return { type: 'failure', errors: [thrown(e)], warnings: [] };
  }
}

export function schemaToText(schema: SchemaJson<string>): string {
  const r = wasm.schemaToText(schema);
  if (r.type === 'success') return r.text;
  throw new TypeError(
    `internal: generated schema does not print: ${r.errors.map((e) => e.message).join('; ')}`,
  );
}
