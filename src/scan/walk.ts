/**
 * Walks the WHOLE tool definition and yields every string with an RFC 6901 pointer and a
 * role: name, title, description, every string in inputSchema/outputSchema (property names
 * too, nested descriptions, enums, defaults, examples), annotations, _meta, icons and any
 * unknown field.
 */
export type FieldRole =
  'name' | 'title' | 'description' | 'property-name' | 'key' | 'schema-text' | 'value' | 'hidden';

export interface Field {
  readonly pointer: string;
  readonly text: string;
  readonly role: FieldRole;
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

const PROPERTY_CONTAINERS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
]);

/** JSON Schema and MCP keywords: object keys that are structure, not content. */
const KEYWORDS = new Set([
  'type',
  'description',
  'title',
  'properties',
  'required',
  'items',
  'enum',
  'const',
  'default',
  'examples',
  'example',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'additionalProperties',
  'patternProperties',
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'definitions',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'multipleOf',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'contains',
  'prefixItems',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'contentEncoding',
  'contentMediaType',
  'readOnly',
  'writeOnly',
  'deprecated',
  'nullable',
  '$comment',
  'name',
  'inputSchema',
  'outputSchema',
  'annotations',
  'readOnlyHint',
  'destructiveHint',
  'idempotentHint',
  'openWorldHint',
  '_meta',
  'icons',
  'src',
  'mimeType',
  'sizes',
  'execution',
  'taskSupport',
]);
const TEXT_KEYS = new Set(['description', 'title', '$comment']);

function roleForTop(key: string): FieldRole {
  if (key === 'name') return 'name';
  if (key === 'title') return 'title';
  if (key === 'description') return 'description';
  return 'value';
}

export interface WalkStats {
  maxDepth: number;
  properties: number;
}

/** Collects every string field of `def`; `stats` receives depth and property counts. */
export function collectFields(def: Record<string, unknown>, stats: WalkStats): Field[] {
  const out: Field[] = [];
  const visit = (v: unknown, ptr: string, depth: number, role: FieldRole, parentKey: string): void => {
    if (depth > stats.maxDepth) stats.maxDepth = depth;
    if (depth > 200) return;
    if (typeof v === 'string') {
      out.push({ pointer: ptr, text: v, role });
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => visit(item, `${ptr}/${i}`, depth + 1, role, parentKey));
      return;
    }
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const childPtr = `${ptr}/${escapePointer(k)}`;
      if (PROPERTY_CONTAINERS.has(parentKey)) {
        stats.properties++;
        out.push({ pointer: childPtr, text: k, role: 'property-name' });
      } else if (!KEYWORDS.has(k)) {
        out.push({ pointer: childPtr, text: k, role: 'key' });
      }
      const childRole: FieldRole = depth === 0 ? roleForTop(k) : TEXT_KEYS.has(k) ? 'schema-text' : 'value';
      visit(child, childPtr, depth + 1, childRole, PROPERTY_CONTAINERS.has(parentKey) ? '' : k);
    }
  };
  visit(def, '', 0, 'value', '');
  return out;
}

/** Top-level parameter names of the input schema. */
export function parameterNames(def: Record<string, unknown>): string[] {
  const schema = def['inputSchema'];
  if (schema === null || typeof schema !== 'object') return [];
  const props = (schema as Record<string, unknown>)['properties'];
  if (props === null || typeof props !== 'object' || Array.isArray(props)) return [];
  return Object.keys(props);
}
