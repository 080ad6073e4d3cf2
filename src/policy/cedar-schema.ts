/**
 * The Cedar schema Warden generates for its entity model (namespace `Warden`). Policies are
 * validated against it at load, in Cedar's strict mode.
 *
 * `context.args` and `context.grant` differ per tool and per identity provider, and cedar-wasm
 * 4.13 neither enables open records (`additionalAttributes` needs the experimental
 * `partial-validate` feature) nor a permissive mode. So both are declared as empty records, and
 * the one diagnostic that produces — "attribute `args.x` in context … not found", located on a
 * `context.args…`/`context.grant…` expression — is waived by the loader (see compile.ts).
 * Everything else (entity types, attribute names, operand types, actions) is strictly checked.
 */
import type { SchemaJson } from './cedar.ts';
import { schemaToText } from './cedar.ts';

export const NAMESPACE = 'Warden';
export const ACTIONS = ['call_tool', 'read_resource', 'get_prompt'] as const;
/** Context attributes whose contents are not declared (their accesses are not type-checked). */
export const OPEN_CONTEXT_ATTRIBUTES = ['args', 'grant'] as const;
export const ANNOTATION_HINTS = [
  'readOnlyHint',
  'destructiveHint',
  'idempotentHint',
  'openWorldHint',
] as const;

const str = { type: 'String' } as const;
const bool = { type: 'Boolean' } as const;

function record(attributes: Record<string, unknown>): { type: 'Record'; attributes: never } {
  return { type: 'Record', attributes: attributes as never };
}

function context(): ReturnType<typeof record> {
  return record({
    args: record({}),
    now: { type: 'Long' },
    datetime: { type: 'Extension', name: 'datetime' },
    task: str,
    session: str,
    grant: { ...record({}), required: false },
    taint: {
      ...record({ untrusted: bool, labels: { type: 'Set', element: str } }),
      required: false,
    },
  });
}

export function wardenSchema(): SchemaJson<string> {
  const annotations = record(
    Object.fromEntries(ANNOTATION_HINTS.map((h) => [h, { ...bool, required: false }])),
  );
  const applies = (resource: string) => ({
    appliesTo: { principalTypes: ['Agent'], resourceTypes: [resource], context: context() },
  });
  return {
    [NAMESPACE]: {
      entityTypes: {
        Role: {},
        Agent: { memberOfTypes: ['Role'], shape: record({ name: str }) },
        Server: {},
        Tool: {
          memberOfTypes: ['Server'],
          shape: record({ name: str, server: str, annotations, trusted_annotations: bool }),
        },
        Resource: { memberOfTypes: ['Server'], shape: record({ uri: str, server: str }) },
        Prompt: { memberOfTypes: ['Server'], shape: record({ name: str, server: str }) },
      },
      actions: {
        call_tool: applies('Tool'),
        read_resource: applies('Resource'),
        get_prompt: applies('Prompt'),
      },
    },
  };
}

/** The schema in Cedar's human-readable syntax (for docs and `warden policy schema`). */
export function wardenSchemaText(): string {
  return schemaToText(wardenSchema());
}
