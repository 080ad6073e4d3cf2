/**
 * Generators for G-ADV-5: random tool definitions and single-field mutations of them
 * (description, title, name, schema keys and values, annotations, added/removed fields).
 */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const propSchema: fc.Arbitrary<Json> = fc.record(
  {
    type: fc.constantFrom('string', 'number', 'integer', 'boolean'),
    description: text,
    enum: fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }),
    default: fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()),
  },
  { requiredKeys: ['type'] },
);

export function approvedDefinition(): fc.Arbitrary<Record<string, Json>> {
  return fc.record(
    {
      name: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
      title: text,
      description: text,
      inputSchema: fc.record({
        type: fc.constant('object'),
        properties: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), propSchema, { maxKeys: 4 }),
      }),
      outputSchema: fc.record({
        type: fc.constant('object'),
        properties: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), propSchema, { maxKeys: 2 }),
      }),
      annotations: fc.record(
        {
          readOnlyHint: fc.boolean(),
          destructiveHint: fc.boolean(),
          idempotentHint: fc.boolean(),
          openWorldHint: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['name'] },
  );
}

type Path = (string | number)[];
interface Site {
  readonly path: Path;
  readonly kind: 'value' | 'key' | 'object' | 'array';
}

function sites(v: Json, path: Path, out: Site[]): void {
  if (Array.isArray(v)) {
    out.push({ path, kind: 'array' });
    v.forEach((x, i) => sites(x, [...path, i], out));
    return;
  }
  if (v !== null && typeof v === 'object') {
    out.push({ path, kind: 'object' });
    for (const [k, x] of Object.entries(v)) {
      out.push({ path: [...path, k], kind: 'key' });
      sites(x, [...path, k], out);
    }
    return;
  }
  out.push({ path, kind: 'value' });
}

function mutateValue(v: Json, r: number): Json {
  if (typeof v === 'string') {
    const variants = [
      `${v}x`,
      `${v}\u200b`,
      v.length > 0 ? v.slice(1) : 'y',
      v.toUpperCase() === v ? `${v}a` : v.toUpperCase(),
      `${v} `,
    ];
    return variants[r % variants.length]!;
  }
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  return 0;
}

/** Applies exactly one change somewhere in the pinned fields; the result never equals the input. */
export function mutateOnce(def: Record<string, Json>, rnd: fc.Stream<number>): Record<string, Json> {
  const copy = structuredClone(def);
  const all: Site[] = [];
  sites(copy, [], all);
  // The top-level name key itself is never removed (a nameless tool is rejected earlier); its value is mutated.
  const candidates = all.filter(
    (s) => s.path.length > 0 && !(s.kind === 'key' && s.path.length === 1 && s.path[0] === 'name'),
  );
  const [a, b] = [...rnd.take(2)] as [number, number];
  const site = candidates[a % candidates.length]!;
  const parentPath = site.path.slice(0, -1);
  let parent: Json = copy;
  for (const p of parentPath) parent = (parent as Record<string | number, Json>)[p]!;
  const last = site.path[site.path.length - 1]!;
  const container = parent as Record<string | number, Json>;
  switch (site.kind) {
    case 'value':
      container[last] = mutateValue(container[last]!, b);
      break;
    case 'key': {
      const obj = container as Record<string, Json>;
      const value = obj[last as string]!;
      delete obj[last as string];
      if (b % 2 === 0) obj[`${String(last)}\u200b`] = value;
      break;
    }
    case 'object':
      (container[last] as Record<string, Json>)[`added_${b % 1000}\u00ad`] = b % 3 === 0 ? null : 'new';
      break;
    case 'array':
      (container[last] as Json[]).push(`extra${b % 10}`);
      break;
  }
  return copy;
}
