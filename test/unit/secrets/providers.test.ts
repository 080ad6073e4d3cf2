import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ManualClock } from '../../../src/core/index.ts';
import { commandProvider, envProvider, SecretsError } from '../../../src/secrets/index.ts';
import type { RunCommand } from '../../../src/secrets/index.ts';

const run = promisify(execFile);
const VALUE = 'sk_live_Q8w2Zr7Kp1Xm';

function isCode(code: string) {
  return (e: unknown) => e instanceof SecretsError && e.code === code;
}

/** A real process runner (tests may spawn; src/secrets may not) that counts its calls. */
function counting(): { runCommand: RunCommand; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    runCommand: async (argv) => {
      calls.push([...argv]);
      const { stdout } = await run(argv[0]!, argv.slice(1));
      return stdout;
    },
  };
}

describe('env provider', () => {
  it('returns an explicitly mapped variable', async () => {
    const p = envProvider({ MY_API_KEY: VALUE }, { API_KEY: 'MY_API_KEY' });
    assert.equal(await p.get('API_KEY'), VALUE);
  });

  it('does not return variables that are not mapped, even if set (deny twin)', async () => {
    const p = envProvider({ MY_API_KEY: VALUE, OTHER_TOKEN: VALUE }, { API_KEY: 'MY_API_KEY' });
    await assert.rejects(p.get('OTHER_TOKEN'), isCode('ERR_SECRET_UNAVAILABLE'));
    await assert.rejects(p.get('MY_API_KEY'), isCode('ERR_SECRET_UNAVAILABLE'));
  });

  it('fails closed on a missing or weak value, without the value in the error', async () => {
    const p = envProvider({ WEAK: 'abc' }, { MISSING: 'NOPE', WEAK_KEY: 'WEAK' });
    await assert.rejects(p.get('MISSING'), isCode('ERR_SECRET_UNAVAILABLE'));
    await assert.rejects(p.get('WEAK_KEY'), (e: unknown) => {
      assert.ok(isCode('ERR_SECRET_UNAVAILABLE')(e));
      assert.ok(!JSON.stringify({ m: (e as Error).message, d: (e as SecretsError).details }).includes('abc'));
      return true;
    });
  });

  it('[SB-4] refuses pattern names', async () => {
    assert.throws(() => envProvider({}, { '*_TOKEN': 'X' }), isCode('ERR_SECRET_NAME'));
    const p = envProvider({ X: VALUE }, { A_TOKEN: 'X' });
    await assert.rejects(p.get('*_TOKEN'), isCode('ERR_SECRET_NAME'));
  });
});

describe('command provider', () => {
  it('runs the argv, trims one newline, and caches for the TTL', async () => {
    const clock = new ManualClock();
    const c = counting();
    const p = commandProvider({
      commands: { API_KEY: ['printf', '%s\\n', VALUE] },
      runCommand: c.runCommand,
      clock,
      ttlMs: 1000,
    });
    assert.equal(await p.get('API_KEY'), VALUE);
    assert.equal(await p.get('API_KEY'), VALUE);
    assert.equal(c.calls.length, 1);
    clock.advance(1001);
    assert.equal(await p.get('API_KEY'), VALUE);
    assert.equal(c.calls.length, 2);
    p.refresh('API_KEY');
    await p.get('API_KEY');
    assert.equal(c.calls.length, 3);
  });

  it('fails closed when the command fails, prints nothing or prints a weak value', async () => {
    const c = counting();
    const p = commandProvider({
      commands: { FAILS: ['false'], EMPTY: ['true'], WEAK: ['printf', 'aaaaaaaaaa'] },
      runCommand: c.runCommand,
    });
    for (const name of ['FAILS', 'EMPTY', 'WEAK', 'UNCONFIGURED']) {
      await assert.rejects(p.get(name), isCode('ERR_SECRET_UNAVAILABLE'), name);
    }
  });

  it('does not cache a failure', async () => {
    let fail = true;
    const p = commandProvider({
      commands: { FLAKY: ['x'] },
      runCommand: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve(VALUE)),
    });
    await assert.rejects(p.get('FLAKY'), isCode('ERR_SECRET_UNAVAILABLE'));
    fail = false;
    assert.equal(await p.get('FLAKY'), VALUE);
  });
});
