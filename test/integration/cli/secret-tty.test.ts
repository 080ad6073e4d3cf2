import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TSX = import.meta.resolve('tsx');
const MAIN = join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main.ts');
const PYTHON = '/usr/bin/python3';

/**
 * Runs argv on a real pseudo-terminal (python3's pty module): waits for the no-echo prompt, types
 * $TYPED (passed in the environment, never on a command line; removed from the child's env),
 * and prints everything the terminal showed.
 */
const PTY_DRIVER = `
import os, pty, select, sys, time
typed = os.environ.pop('TYPED').encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
def pump(until, limit):
    global out
    end = time.time() + limit
    while (until is None or until not in out) and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            d = os.read(fd, 4096)
        except OSError:
            return
        if not d:
            return
        out += d
pump(b'not echoed', 60)
time.sleep(0.3)
for b in typed:
    os.write(fd, bytes([b]))
pump(None, 60)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

function warden(
  cwd: string,
  input: string,
  args: string[],
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    timeout: 90_000,
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function onTerminal(cwd: string, typed: string, args: string[]): { code: number; screen: string } {
  const r = spawnSync(PYTHON, ['-c', PTY_DRIVER, process.execPath, '--import', TSX, MAIN, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 150_000,
    env: { PATH: process.env.PATH ?? '', TYPED: typed, TERM: 'dumb' },
  });
  return { code: r.status ?? -1, screen: `${r.stdout}${r.stderr}` };
}

describe(
  'warden secret set on a real terminal (no echo) and from stdin',
  { skip: existsSync(PYTHON) ? false : 'python3 is not installed' },
  () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'warden-secret-tty-'));
      writeFileSync(join(dir, 'warden.yaml'), 'version: 1\n');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('SB-3: the value typed on a TTY is never echoed, and exactly that value (after a backspace) is stored', () => {
      const value = `wdn-tty-${randomBytes(15).toString('base64url')}`;
      // a typo fixed with backspace (DEL), then Enter
      const r = onTerminal(dir, `${value}X\u007f\r`, ['secret', 'set', 'TTY_TOKEN']);
      assert.equal(r.code, 0, r.screen);
      assert.match(r.screen, /value for TTY_TOKEN \(not echoed\):/);
      assert.match(r.screen, /stored TTY_TOKEN \(version 1, hmac-sha256:/);
      assert.ok(!r.screen.includes(value), `the terminal showed the value: ${JSON.stringify(r.screen)}`);
      assert.ok(!r.screen.includes(value.slice(0, 12)), 'not even a prefix of it');
      // the store holds exactly the typed value: redaction of that exact text is complete
      const red = warden(dir, `a ${value} b`, ['redact']);
      assert.equal(red.code, 0, red.stderr);
      assert.equal(red.stdout.trim(), 'a [REDACTED:secret:TTY_TOKEN] b');
    });

    it('twin: stdin (not a terminal) still works and stores the piped value', () => {
      const value = `wdn-pipe-${randomBytes(15).toString('base64url')}`;
      const r = warden(dir, `${value}\n`, ['secret', 'set', 'PIPE_TOKEN']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /not echoed/, 'no terminal prompt on a pipe');
      assert.ok(!r.stdout.includes(value) && !r.stderr.includes(value));
      const red = warden(dir, `a ${value} b`, ['redact']);
      assert.equal(red.stdout.trim(), 'a [REDACTED:secret:PIPE_TOKEN] b');
    });
  },
);
