import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join, resolve } from 'node:path';
import { BwrapLauncher, PlainLauncher, runToEnd } from '../../../src/sandbox/index.ts';
import { FILE_PROBES, SYSCALL_PROBES } from './escape-probes.ts';
import type { Probe } from './escape-probes.ts';
import { HAS_PYTHON, makeFixture, ROOT, sandboxUnavailable, startSink } from './helpers.ts';
import type { Fixture, Sink } from './helpers.ts';

const unavailable = sandboxUnavailable();
const FIXTURES = resolve(import.meta.dirname, '../../fixtures/sandbox');
const PY = join(FIXTURES, 'try_syscall.py');

describe(
  'sandbox escape suite (§1J), each probe with an unsandboxed positive control',
  { skip: unavailable },
  () => {
    let fx: Fixture;
    let sink: Sink;
    let victim: ChildProcess;
    let agent: Server;
    let abstract: ChildProcess | undefined;
    const abstractName = `warden-esc-${process.pid}`;
    let sandbox: BwrapLauncher;

    before(async () => {
      fx = makeFixture();
      sink = await startSink();
      victim = spawn('/bin/sleep', ['600'], { env: { WARDEN_ESCAPE_MARKER: fx.canary }, stdio: 'ignore' });
      agent = createServer((s) => s.destroy());
      await new Promise<void>((r) => agent.listen(join(fx.dir, 'agent.sock'), r));
      chmodSync(join(fx.dir, 'agent.sock'), 0o777);
      if (HAS_PYTHON) {
        // libuv cannot bind abstract names; a tiny python listener stands in for a host service
        const py =
          'import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(chr(0)+sys.argv[1])\ns.listen(8)\nprint("ready",flush=True)\nwhile True:\n  c,_=s.accept(); c.close()';
        abstract = spawn('/usr/bin/python3', ['-c', py, abstractName], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        await new Promise<void>((r) => abstract?.stdout?.once('data', () => r()));
      }
      sandbox = new BwrapLauncher({
        profile: { workspace: { mode: 'bind', path: fx.ws }, readOnlyPaths: [FIXTURES] },
      });
    });

    after(async () => {
      victim.kill('SIGKILL');
      await new Promise<void>((r) => agent.close(() => r()));
      abstract?.kill('SIGKILL');
      await sink.close();
      fx.cleanup();
    });

    const env = (inside: boolean): Record<string, string> => ({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      WS: inside ? '/workspace' : fx.ws,
      OUT: fx.outside,
      SIB: fx.sibling,
      RO: fx.rootOnly,
      TCP: String(sink.tcpPort),
      UDP: String(sink.udpPort),
      VICTIM: String(victim.pid),
      P1: inside ? '1' : String(victim.pid),
      PY,
      AGENT: join(fx.dir, 'agent.sock'),
      ABSTRACT: abstractName,
    });

    const skipWhy = (p: Probe): string | undefined => {
      if (p.python && !HAS_PYTHON) return 'python3 is not installed (needed for raw syscalls)';
      if (p.rootOnly && !ROOT) return 'the positive control needs root';
      if (p.needsHostPath && !existsSync(p.needsHostPath)) return `${p.needsHostPath} is absent on this host`;
      return undefined;
    };

    for (const p of [...FILE_PROBES, ...SYSCALL_PROBES]) {
      it(`[${p.id}] ${p.title}`, { skip: unavailable ?? skipWhy(p) }, async () => {
        const spec = (inside: boolean) => ({
          command: '/bin/bash',
          args: ['--norc', '-c', p.script],
          env: env(inside),
          label: `probe ${p.id}`,
        });
        const control = await runToEnd(new PlainLauncher(), spec(false));
        assert.equal(
          control.code,
          0,
          `positive control failed, the probe proves nothing: ${control.stdout}${control.stderr}`,
        );
        const boxed = await runToEnd(sandbox, spec(true));
        assert.notEqual(
          boxed.code,
          0,
          `ESCAPE: the forbidden action worked in the sandbox: ${boxed.stdout}${boxed.stderr}`,
        );
      });
    }

    it('[SX-5] the sandbox sees only its own descriptors and an empty pid-1 environment', async () => {
      const r = await runToEnd(sandbox, {
        command: '/bin/sh',
        args: ['-c', 'ls /proc/self/fd; echo ---; wc -c </proc/1/environ'],
        env: {},
        label: 'fds',
      });
      const [fds, size] = r.stdout.split('---\n');
      assert.deepEqual(fds?.trim().split('\n').sort(), ['0', '1', '2', '3']);
      assert.equal(size?.trim(), '0');
    });

    it('[SX-11] a protected path created in the workspace is quarantined after exit', async () => {
      const events: string[] = [];
      const l = new BwrapLauncher({
        profile: { workspace: { mode: 'bind', path: fx.ws } },
        onQuarantine: (e) => events.push(e.path),
      });
      const r = await runToEnd(l, {
        command: '/bin/sh',
        args: ['-c', 'echo "{}" > /workspace/.mcp.json; echo ok > /workspace/ok.txt'],
        env: {},
        label: 'q',
      });
      assert.equal(r.code, 0);
      assert.deepEqual(events, ['.mcp.json']);
      assert.equal(existsSync(join(fx.ws, '.mcp.json')), false);
      assert.equal(readFileSync(join(fx.ws, 'ok.txt'), 'utf8'), 'ok\n', 'ordinary writes stay (deny twin)');
    });
  },
);
