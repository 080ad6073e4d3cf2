import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertSecretName, checkSecretStrength, secretNameSchema } from '../../../src/secrets/index.ts';

describe('secret names and values', () => {
  it('[CD-5] accepts POSIX identifiers and rejects pattern metacharacters', () => {
    for (const ok of ['GITHUB_TOKEN', '_x', 'a1']) assert.equal(assertSecretName(ok), ok);
    for (const bad of [
      'GITHUB_*',
      '*',
      'A|B',
      'A+',
      '(A)',
      'A{1}',
      'A^',
      'A$',
      'A\\',
      '9A',
      'A'.repeat(129),
    ]) {
      assert.throws(() => assertSecretName(bad), { code: 'ERR_SECRET_NAME' }, bad);
      assert.equal(secretNameSchema.safeParse(bad).success, false, bad);
    }
  });

  it('[SB-7] refuses values shorter than 8 characters', () => {
    assert.equal(checkSecretStrength('Zq8$kL2').ok, false);
    assert.equal(checkSecretStrength('Zq8$kL2p').ok, true);
  });

  it('[SB-7] refuses low-entropy values and explains why', () => {
    for (const weak of ['aaaaaaaaaaaaaaaa', 'abcabcabcabc', '1111122222', 'aaaaaaaaaaaaaaaaaaaaaaaabcdef']) {
      const r = checkSecretStrength(weak);
      assert.equal(r.ok, false, weak);
      if (!r.ok) assert.match(r.reason, /entropy|distinct/);
    }
    assert.equal(checkSecretStrength('ghp_9fK2xQ7mZ1aB').ok, true);
  });
});
