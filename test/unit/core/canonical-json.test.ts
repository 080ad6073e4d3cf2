import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson } from '../../../src/core/index.ts';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\ud83d\ude00': 2, '\u0080': 3 }),
      '{"a":[true,null,"x"],"b":1,"\u0080":3,"\u20ac":1,"\ud83d\ude00":2}',
    );
  });

  it('serializes numbers like ECMAScript (RFC 8785 appendix B samples)', () => {
    assert.equal(
      canonicalJson([1e21, 1e-7, 0.000001, -0, 333333333.3333333, 1.0]),
      '[1e+21,1e-7,0.000001,0,333333333.3333333,1]',
    );
  });

  it('rejects non-finite numbers and unsupported types', () => {
    assert.throws(() => canonicalJson(Number.NaN), RangeError);
    assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
  });

  it('is stable under key reordering (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        assert.equal(canonicalJson(obj), canonicalJson(reversed));
        assert.deepEqual(JSON.parse(canonicalJson(obj)), JSON.parse(JSON.stringify(obj)));
      }),
    );
  });
});
