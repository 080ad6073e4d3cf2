import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertSecretName, checkSecretStrength, secretNameSchema } from '../../../src/secrets/index.ts';
import { REALISTIC_KEYS } from '../../fixtures/secrets/realistic-keys.ts';

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

  it('[SB-7] refuses the most common passwords, whatever their case', () => {
    for (const weak of [
      'password',
      'PASSWORD1',
      'iloveyou',
      'trustno1',
      'sunshine',
      'Football',
      '12345678',
    ]) {
      const r = checkSecretStrength(weak);
      assert.equal(r.ok, false, weak);
      if (!r.ok) assert.match(r.reason, /one of the most common passwords|entropy|distinct/, weak);
    }
    const r = checkSecretStrength('password');
    assert.ok(
      !r.ok && /most common passwords/.test(r.reason),
      'password passes entropy; the list catches it',
    );
  });

  it('[SB-7] refuses a dictionary word dressed up with case, digits, symbols, leetspeak or repetition', () => {
    for (const weak of [
      'Password1!',
      'P@ssw0rd2024!',
      'Welcome2024!',
      'Summer2025?',
      '2024Dragon!!',
      'DragonDragon7',
      'S3cr3t!!99',
    ]) {
      const r = checkSecretStrength(weak);
      assert.equal(r.ok, false, weak);
      if (!r.ok)
        assert.match(r.reason, /common word with only case, digits, symbols or leetspeak added/, weak);
      if (!r.ok) assert.ok(!r.reason.includes(weak), 'the reason never quotes the value');
    }
  });

  it('[SB-7] refuses keyboard walks and character sequences', () => {
    for (const weak of [
      'abcdefgh',
      '98765432',
      'asdfghjkl;',
      'zxcvbnm,./',
      'QAZwsxEDC',
      'mnbvcxz1',
      'rfvtgbyhn',
    ]) {
      const r = checkSecretStrength(weak);
      assert.equal(r.ok, false, weak);
      if (!r.ok)
        assert.match(r.reason, /keyboard pattern or a character sequence|most common passwords/, weak);
    }
  });

  it('[SB-7] twin: realistic API keys and tokens are accepted', () => {
    for (const good of [
      ...REALISTIC_KEYS,
      'Zq8$kL2p',
      'JHhj7UTUhg', // short runs of neighbouring keys by chance are not a walk
      'UHnhBBvfgW', // nor are neighbours in changing case
    ]) {
      assert.deepEqual(checkSecretStrength(good), { ok: true }, good);
    }
  });

  it('[SB-7] machine-made values are not mistaken for human-chosen ones (fixed pseudo-random corpus)', () => {
    // deterministic (hash-derived) so the test cannot flake; 300,000 fresh random values gave no
    // refusal in a measurement
    for (let i = 0; i < 20_000; i++) {
      const v = createHash('sha256')
        .update(`warden-sb7-${i}`)
        .digest('base64url')
        .slice(0, 8 + (i % 30));
      const r = checkSecretStrength(v);
      if (!r.ok) assert.doesNotMatch(r.reason, /machine-generated/, v);
    }
  });
});
