import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogger } from '../../../src/core/index.ts';
import { PolicyEngine } from '../../../src/policy/index.ts';
import type { PolicyRequest, ReloadResult } from '../../../src/policy/index.ts';

const ALLOW_READ =
  '@id("read") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"fs.read");\n';
const ALLOW_WRITE =
  '@id("write") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"fs.write");\n';
const BROKEN = 'permit (principal, action, resource) when { context.now = 1 };\n';

const req = (name: string): PolicyRequest => ({
  principal: { id: 'bob', roles: ['dev'] },
  action: 'call_tool',
  resource: { kind: 'tool', server: 'fs', name },
  context: { args: {}, now: Date.now() },
});

describe('policy hot reload', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-policy-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails start-up on an invalid file, naming the file and line', async () => {
    await writeFile(join(dir, 'a.cedar'), ALLOW_READ);
    await writeFile(join(dir, 'zz.cedar'), `\n\n${BROKEN}`);
    await assert.rejects(PolicyEngine.load(dir), /zz\.cedar:3:45: /);
    await rm(join(dir, 'zz.cedar'));
  });

  it('ignores dotfiles and dangling links but follows links to files', async () => {
    await writeFile(join(dir, 'a.cedar'), ALLOW_READ);
    await writeFile(join(dir, '.swap.cedar'), BROKEN);
    await symlink(join(dir, 'missing'), join(dir, 'dangling.cedar'));
    await writeFile(join(dir, 'write.txt'), ALLOW_WRITE);
    await symlink(join(dir, 'write.txt'), join(dir, 'linked.cedar'));
    try {
      const engine = await PolicyEngine.load(dir);
      assert.deepEqual(engine.policies.map((p) => p.id).sort(), ['read', 'write']);
    } finally {
      for (const f of ['.swap.cedar', 'dangling.cedar', 'write.txt', 'linked.cedar']) await rm(join(dir, f));
    }
  });

  it('keeps the previous set when a reload finds a broken file, and applies a good change', async () => {
    await writeFile(join(dir, 'a.cedar'), ALLOW_READ);
    const logger = new MemoryLogger();
    const engine = await PolicyEngine.load(dir, { logger });
    const v1 = engine.version;
    assert.equal(engine.authorize(req('read')).effect, 'allow');

    await writeFile(join(dir, 'a.cedar'), BROKEN);
    const bad = await engine.reload();
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.message, /a\.cedar:1:45: /);
    assert.equal(engine.version, v1);
    assert.equal(engine.authorize(req('read')).effect, 'allow');
    assert.match(logger.text(), /policy reload failed; keeping the previous policy set/);

    await writeFile(join(dir, 'a.cedar'), ALLOW_WRITE);
    const good = await engine.reload();
    assert.deepEqual(good, { ok: true, version: engine.version });
    assert.notEqual(engine.version, v1);
    assert.equal(engine.authorize(req('write')).effect, 'allow');
    assert.equal(engine.authorize(req('read')).effect, 'deny');
    assert.equal(engine.isVisible(req('read').principal, req('read').resource), false);
  });

  it('watches the directory and reloads on change', async () => {
    await writeFile(join(dir, 'a.cedar'), ALLOW_READ);
    const engine = await PolicyEngine.load(dir, { debounceMs: 50 });
    const results: ReloadResult[] = [];
    let waiter: { pred: (r: ReloadResult) => boolean; resolve: () => void } | undefined;
    const stop = engine.watch((r) => {
      results.push(r);
      if (waiter?.pred(r) === true) waiter.resolve();
    });
    const until = (pred: (r: ReloadResult) => boolean): Promise<void> =>
      new Promise((resolve) => (waiter = { pred, resolve }));
    try {
      const before = engine.version;
      let changed = until((r) => r.ok && r.version !== before);
      await writeFile(join(dir, 'b.cedar'), ALLOW_WRITE);
      await changed;
      assert.equal(engine.authorize(req('write')).effect, 'allow');

      changed = until((r) => !r.ok);
      await writeFile(join(dir, 'b.cedar'), BROKEN);
      await changed;
      assert.equal(engine.authorize(req('write')).effect, 'allow');
      assert.ok(results.length >= 2);
    } finally {
      stop();
    }
  });
});
