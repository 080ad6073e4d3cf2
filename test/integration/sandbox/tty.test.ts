import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HAS_PYTHON, sandboxUnavailable } from './helpers.ts';

const unavailable = sandboxUnavailable();
const RUNNER = resolve(import.meta.dirname, '../../fixtures/sandbox/tty-runner.ts');
const TIOCSTI = `python3 -c "import fcntl,termios; fcntl.ioctl(0, termios.TIOCSTI, b'x'); print('TIOCSTI-WORKED')" 2>&1 | tail -1`;

/** Runs a command under `script`, which gives it a fresh pseudo-terminal. */
function underPty(command: string): string {
  const r = spawnSync('/usr/bin/script', ['-qec', command, '/dev/null'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return r.stdout;
}

const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe(
  'warden run with a terminal',
  {
    skip:
      unavailable ??
      (existsSync('/usr/bin/script') && HAS_PYTHON ? undefined : 'needs util-linux script and python3'),
  },
  () => {
    it('the program sees a terminal on stdin and stdout', () => {
      const out = underPty(
        `${process.execPath} --import tsx ${RUNNER} ${sq('[ -t 0 ] && [ -t 1 ] && echo TTY-OK')}`,
      );
      assert.match(out, /TTY-OK/);
      assert.match(out, /exit=0/);
    });

    it('[SX-9] TIOCSTI injection into the terminal works unsandboxed (control) and is refused sandboxed', () => {
      assert.match(
        underPty(TIOCSTI),
        /TIOCSTI-WORKED/,
        'positive control: this kernel allows TIOCSTI for us',
      );
      const out = underPty(`${process.execPath} --import tsx ${RUNNER} ${sq(TIOCSTI)}`);
      assert.doesNotMatch(out, /TIOCSTI-WORKED/);
      assert.match(out, /Operation not permitted/);
    });
  },
);
