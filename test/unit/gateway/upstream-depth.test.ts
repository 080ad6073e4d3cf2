import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nestedDeeperThan } from '../../../src/gateway/upstream/connection.ts';
import { jsonValueArb, nesting } from './json-oracle.ts';

const SEED = Number(process.env.WARDEN_FC_SEED ?? 0x5eed3);

describe('upstream depth bound (THREATS RPC-15 at the server edge)', () => {
  it('[RPC-15] nestedDeeperThan(v, max) holds exactly when v nests more than max levels', () => {
    fc.assert(
      fc.property(jsonValueArb, fc.integer({ min: 0, max: 8 }), (v, max) => {
        assert.equal(nestedDeeperThan(v, max), nesting(v) > max);
      }),
      { seed: SEED, numRuns: 3000, verbose: 1 },
    );
  });

  it('[RPC-15] walks 10^5-deep values without recursion (no stack overflow)', () => {
    const n = 100_000;
    const deep: unknown = JSON.parse('['.repeat(n) + ']'.repeat(n));
    assert.equal(nestedDeeperThan(deep, 512), true);
    assert.equal(nestedDeeperThan(deep, n), false);
    assert.equal(nestedDeeperThan(deep, n - 1), true);
  });
});
