import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { listHash, pinHash, pinnedView, PIN_RE } from '../../../src/registry/index.ts';
import { approvedDefinition, mutateOnce } from './mutations.ts';

const def = {
  name: 'read_file',
  title: 'Read file',
  description: 'Read a file.',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
  outputSchema: { type: 'object' },
  annotations: { readOnlyHint: true },
};

describe('pinHash', () => {
  it('[RP-1] is sha256: + 64 hex over the canonical JSON, independent of key order', () => {
    const h = pinHash(def);
    assert.match(h, PIN_RE);
    const reordered = Object.fromEntries(Object.entries(def).reverse());
    assert.equal(pinHash(reordered), h);
    assert.equal(
      pinHash({ ...def, inputSchema: { properties: { path: { type: 'string' } }, type: 'object' } }),
      h,
    );
  });

  it('[RP-1] covers exactly name, title, description, inputSchema, outputSchema, annotations', () => {
    const h = pinHash(def);
    for (const k of ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const) {
      const without: Record<string, unknown> = { ...def };
      delete without[k];
      assert.notEqual(pinHash(without), h, `removing ${k}`);
      assert.notEqual(pinHash({ ...def, [k]: null }), h, `nulling ${k}`);
    }
    assert.equal(pinHash({ ...def, _meta: { x: 1 }, icons: [{ src: 'a' }], execution: {} }), h);
    assert.deepEqual(Object.keys(pinnedView({ ...def, _meta: {} })).sort(), [
      'annotations',
      'description',
      'inputSchema',
      'name',
      'outputSchema',
      'title',
    ]);
  });

  it('[TP-3][RP-1] changes when only an invisible character is added', () => {
    assert.notEqual(pinHash({ ...def, description: 'Read a file.\u200b' }), pinHash(def));
    assert.notEqual(pinHash({ ...def, description: 'Read a file.\u{E0041}' }), pinHash(def));
  });

  it('[G-ADV-5] changes under 1,000 random single-field mutations', () => {
    fc.assert(
      fc.property(
        approvedDefinition(),
        fc.infiniteStream(fc.nat()),
        (d, rnd) => pinHash(mutateOnce(d, rnd)) !== pinHash(d),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('listHash', () => {
  it('[RP-3] ignores order but not content', () => {
    const other = { ...def, name: 'write_file' };
    assert.equal(listHash([def, other]), listHash([other, def]));
    assert.notEqual(listHash([def, other]), listHash([def, { ...other, description: 'x' }]));
    assert.notEqual(listHash([def]), listHash([def, other]));
  });
});
