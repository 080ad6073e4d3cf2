import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSandboxed } from '../../../src/sandbox/index.ts';
import { makeFixture, sandboxUnavailable } from './helpers.ts';
import type { Fixture } from './helpers.ts';

const unavailable = sandboxUnavailable();
const bash = (script: string) => ({ command: '/bin/bash', args: ['--norc', '-c', script] });

describe('runSandboxed (warden run)', { skip: unavailable }, () => {
  let fx: Fixture;
  before(() => {
    fx = makeFixture();
  });
  after(() => fx.cleanup());

  it('passes the exit code through', async () => {
    const r = await runSandboxed(bash('exit 3'));
    assert.equal(r.code, 3);
    assert.match(r.sandboxId, /^sbx-/);
  });

  it('reports death by signal as 128+N', async () => {
    const r = await runSandboxed(bash('kill -9 $$'));
    assert.equal(r.code, 137);
  });

  it('forwards a signal Warden receives to the program, which can handle it', async () => {
    const ws = { workspace: { mode: 'bind' as const, path: fx.ws } };
    const run = runSandboxed({
      ...bash('trap "exit 7" TERM; touch /workspace/ready; sleep 30 & wait'),
      profile: ws,
    });
    while (!existsSync(join(fx.ws, 'ready'))) await sleep(20);
    process.emit('SIGTERM', 'SIGTERM');
    const r = await run;
    assert.equal(r.code, 7);
  });
});
