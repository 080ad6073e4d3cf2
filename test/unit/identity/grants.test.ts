import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  IdentityError,
  checkArgs,
  grantDecision,
  inheritConstraints,
  isSubGrant,
  parseGrant,
  parseGrantFlags,
  subGrantProblem,
  toolAllowed,
} from '../../../src/identity/index.ts';
import type { Grant } from '../../../src/identity/index.ts';

const T = Date.UTC(2026, 0, 1);
const base: Grant = parseGrant({
  id: 'g1',
  tools: { fs: ['read_*', 'list_directory'], web: ['fetch'] },
  args: {
    'fs.read_file': { path: { kind: 'path', globs: ['/workspace/**'] } },
    'web.fetch': { url: { kind: 'host', hosts: ['api.example.com', '*.docs.example.org'] } },
    'fs.read_text': {
      mode: { kind: 'enum', values: ['utf8', 'ascii'] },
      limit: { kind: 'range', min: 0, max: 100, integer: true },
    },
  },
  expiresAt: T + 60_000,
});

describe('grant tool patterns', () => {
  it('allows a tool matched by an exact name or a trailing-* prefix', () => {
    assert.ok(toolAllowed(base, 'fs', 'read_file'));
    assert.ok(toolAllowed(base, 'fs', 'read_'));
    assert.ok(toolAllowed(base, 'fs', 'list_directory'));
    assert.ok(toolAllowed(base, 'web', 'fetch'));
  });
  it('denies other tools, other servers, case variants, prototype keys and expired grants', () => {
    assert.ok(!toolAllowed(base, 'fs', 'write_file'));
    assert.ok(!toolAllowed(base, 'fs', 'Read_file'));
    assert.ok(!toolAllowed(base, 'fs', 'list_directory_tree'));
    assert.ok(!toolAllowed(base, 'git', 'read_file'));
    assert.ok(!toolAllowed(base, '__proto__', 'read_file'));
    assert.ok(!toolAllowed(base, 'constructor', 'read_file'));
    assert.ok(toolAllowed(base, 'fs', 'read_file', T));
    assert.ok(!toolAllowed(base, 'fs', 'read_file', T + 60_000));
  });
});

describe('grant argument constraints', () => {
  const path = (p: unknown) => checkArgs(base, 'fs', 'read_file', { path: p });
  it('[SX-2] allows a path inside the granted tree, after normalising . and //', () => {
    assert.deepEqual(path('/workspace/a/b.txt'), { ok: true });
    assert.deepEqual(path('/workspace'), { ok: true });
    assert.deepEqual(path('/workspace//./a'), { ok: true });
  });
  it('[SX-2] denies .. escapes, relative paths, NUL, backslashes, siblings with a shared prefix and non-strings', () => {
    for (const bad of [
      '/workspace/../etc/passwd',
      '/workspace/a/../../etc',
      '/workspace/..',
      'workspace/a',
      './a',
      '/workspace\0/x',
      '/workspace\\..\\etc',
      '/workspace-evil/a',
      '/etc/passwd',
      42,
      null,
      ['/workspace/a'],
    ]) {
      const r = path(bad);
      assert.equal(r.ok, false, String(bad));
    }
    assert.equal(path('/workspace/../workspace/a').ok, false, '.. is refused even when it stays inside');
  });
  it('denies a call that omits a constrained parameter, allows one without constraints', () => {
    assert.deepEqual(checkArgs(base, 'fs', 'read_file', {}), {
      ok: false,
      param: 'path',
      reason: 'required by the grant but missing',
    });
    assert.equal(checkArgs(base, 'fs', 'read_file', undefined).ok, false);
    assert.deepEqual(checkArgs(base, 'fs', 'list_directory', { path: '/etc' }), { ok: true });
    const inherited = Object.create({ path: '/workspace/a' }) as object;
    assert.equal(
      checkArgs(base, 'fs', 'read_file', inherited).ok,
      false,
      'inherited properties do not count',
    );
  });
  it('[SS-6] allows allow-listed hosts and subdomains of a wildcard entry', () => {
    const url = (u: unknown) => checkArgs(base, 'web', 'fetch', { url: u });
    assert.deepEqual(url('https://api.example.com/v1?q=1'), { ok: true });
    assert.deepEqual(url('https://API.Example.COM./v1'), { ok: true });
    assert.deepEqual(url('http://a.docs.example.org/x'), { ok: true });
  });
  it('[SS-6] denies parser-differential URL shapes and hosts off the list', () => {
    const url = (u: unknown) => checkArgs(base, 'web', 'fetch', { url: u });
    for (const bad of [
      'https://api.example.com.evil.test/',
      'https://evil.test/api.example.com',
      'https://api.example.com@evil.test/',
      'https://@api.example.com/',
      'https://evil.test#@api.example.com',
      'https://evil.test\\@api.example.com',
      'https://evil.test\0.api.example.com',
      'https://docs.example.org/',
      'https://api.example.com:8443/',
      'ftp://api.example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      ' https://api.example.com/',
      42,
    ]) {
      assert.equal(url(bad).ok, false, String(bad));
    }
  });
  it('checks enums strictly and numeric ranges with integer requirement', () => {
    const c = (mode: unknown, limit: unknown) => checkArgs(base, 'fs', 'read_text', { mode, limit });
    assert.deepEqual(c('utf8', 0), { ok: true });
    assert.deepEqual(c('ascii', 100), { ok: true });
    assert.equal(c('latin1', 1).ok, false);
    assert.equal(c('utf8', 101).ok, false);
    assert.equal(c('utf8', -1).ok, false);
    assert.equal(c('utf8', 1.5).ok, false);
    assert.equal(c('utf8', '1').ok, false);
    assert.equal(c('utf8', Number.NaN).ok, false);
  });
});

describe('parseGrant', () => {
  it('refuses malformed grants: wildcard or dotted server names, bad globs, bad hosts, inverted ranges, unknown keys', () => {
    const ok = { id: 'g', tools: { fs: ['read_*'] }, expiresAt: T };
    assert.equal(parseGrant(ok).id, 'g');
    for (const bad of [
      { ...ok, tools: { '*': ['x'] } },
      { ...ok, tools: { 'a.b': ['x'] } },
      { ...ok, tools: { fs: ['re*ad'] } },
      { ...ok, tools: { fs: [] } },
      { ...ok, tools: JSON.parse('{"__proto__":["x"]}') as unknown },
      { ...ok, args: { 'fs.read': { p: { kind: 'path', globs: ['/a/../b'] } } } },
      { ...ok, args: { 'fs.read': { p: { kind: 'path', globs: ['relative/**'] } } } },
      { ...ok, args: { 'fs.read': { p: { kind: 'path', globs: ['/a/**/b'] } } } },
      { ...ok, args: { 'fs.read': { p: { kind: 'host', hosts: ['*.com'] } } } },
      { ...ok, args: { 'fs.read': { p: { kind: 'host', hosts: ['Evil.com'] } } } },
      { ...ok, args: { 'fs.read': { p: { kind: 'range', min: 5, max: 1 } } } },
      { ...ok, extra: 1 },
    ]) {
      assert.throws(
        () => parseGrant(bad),
        (e: unknown) => e instanceof IdentityError && e.code === 'ERR_GRANT_INVALID',
        JSON.stringify(bad),
      );
    }
  });
});

describe('parseGrantFlags', () => {
  it('turns --tool and --arg flags into a grant', () => {
    const g = parseGrantFlags({
      tools: ['fs.read_*', 'fs.list_directory', 'web.fetch'],
      args: [
        'fs.read_file.path=/workspace/**',
        'fs.read_file.path=/tmp/x',
        'web.fetch.url=host:api.example.com,*.example.org',
        'fs.read_text.mode=enum:utf8,ascii',
        'fs.read_text.limit=int:0..100',
        'fs.read_text.scale=range:..2.5',
      ],
      expiresAt: T,
      id: 'gx',
    });
    assert.deepEqual(g.tools, { fs: ['read_*', 'list_directory'], web: ['fetch'] });
    assert.deepEqual(g.args!['fs.read_file']!.path, { kind: 'path', globs: ['/workspace/**', '/tmp/x'] });
    assert.deepEqual(g.args!['web.fetch']!.url, {
      kind: 'host',
      hosts: ['api.example.com', '*.example.org'],
    });
    assert.deepEqual(g.args!['fs.read_text']!.limit, { kind: 'range', min: 0, max: 100, integer: true });
    assert.deepEqual(g.args!['fs.read_text']!.scale, { kind: 'range', max: 2.5 });
    assert.ok(Object.isFrozen(g.args!['fs.read_file']!.path));
  });
  it('refuses flags without a tool, malformed flags and mixed kinds', () => {
    const bad = (tools: string[], args: string[] = []) =>
      assert.throws(
        () => parseGrantFlags({ tools, args, expiresAt: T }),
        (e: unknown) => e instanceof IdentityError && e.code === 'ERR_GRANT_INVALID',
      );
    bad([]);
    bad(['fs']);
    bad(['.x']);
    bad(['*.read']);
    bad(['__proto__.x']);
    bad(['fs.read_*'], ['fs.read_file=/x']);
    bad(['fs.read_*'], ['fs.read_file.path']);
    bad(['fs.read_*'], ['fs.read_file.path=nope:1']);
    bad(['fs.read_*'], ['fs.read_file.path=/a', 'fs.read_file.path=host:a.com']);
    bad(['fs.read_*'], ['fs.read_file.n=int:a..b']);
  });
});

describe('isSubGrant', () => {
  const narrow = (over: Partial<Grant>): Grant => parseGrant({ ...base, ...over });
  it('[DL-1] accepts a child that narrows tools and constraints', () => {
    const child = narrow({
      tools: { fs: ['read_file'] },
      args: { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/src/*', '/workspace/README'] } } },
    });
    assert.equal(subGrantProblem(child, base), null);
    assert.ok(isSubGrant(base, base));
  });
  it('[DL-1] refuses a child with another server, a wider pattern or a dropped constraint', () => {
    assert.ok(!isSubGrant(narrow({ tools: { git: ['log'] } }), base));
    assert.ok(!isSubGrant(narrow({ tools: { fs: ['*'] } }), base));
    assert.ok(!isSubGrant(narrow({ tools: { fs: ['rea*'] } }), base));
    assert.ok(!isSubGrant(narrow({ tools: { fs: ['read_file'] }, args: {} }), base));
    assert.ok(
      !isSubGrant(
        narrow({
          tools: { fs: ['read_file'] },
          args: { 'fs.read_file': { path: { kind: 'path', globs: ['/**'] } } },
        }),
        base,
      ),
    );
    assert.ok(
      !isSubGrant(
        narrow({
          tools: { fs: ['read_file'] },
          args: { 'fs.read_file': { path: { kind: 'enum', values: ['/workspace/a'] } } },
        }),
        base,
      ),
    );
    assert.ok(
      !isSubGrant(
        narrow({
          tools: { web: ['fetch'] },
          args: { 'web.fetch': { url: { kind: 'host', hosts: ['*.example.com'] } } },
        }),
        base,
      ),
    );
  });
  it('[DL-2] refuses a child that outlives its parent', () => {
    assert.ok(!isSubGrant(narrow({ expiresAt: base.expiresAt + 1 }), base));
    assert.ok(isSubGrant(narrow({ expiresAt: base.expiresAt - 1 }), base));
  });
});

describe('inheritConstraints', () => {
  it('copies the parent argument limits a tools-only child leaves out, for reachable tools only', () => {
    const child = parseGrant({ id: 'c', tools: { fs: ['read_file'] }, expiresAt: T });
    const done = inheritConstraints(child, base);
    assert.deepEqual(done.args, { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/**'] } } });
    assert.ok(isSubGrant(done, base));
    assert.ok(!isSubGrant(child, base), 'without inheritance the child would be wider');
  });
  it('keeps an explicit child constraint as given, even a wider one (which isSubGrant then refuses)', () => {
    const wide = parseGrant({
      id: 'c',
      tools: { fs: ['read_file'] },
      args: { 'fs.read_file': { path: { kind: 'path', globs: ['/**'] } } },
      expiresAt: T,
    });
    assert.ok(!isSubGrant(inheritConstraints(wide, base), base));
  });
});

describe('grantDecision', () => {
  it('allows a granted call and leaves grant-less principals to policy', () => {
    assert.deepEqual(grantDecision({ grant: base }, 'fs', 'read_file', { path: '/workspace/a' }, T), {
      allowed: true,
      grantId: 'g1',
    });
    assert.deepEqual(grantDecision({}, 'fs', 'write_file', {}, T), { allowed: true });
  });
  it('denies an ungranted tool, a bad argument and an expired grant, naming the grant and never the value', () => {
    assert.deepEqual(grantDecision({ grant: base }, 'fs', 'write_file', {}, T), {
      allowed: false,
      grantId: 'g1',
      reason: 'fs.write_file is not in the grant',
    });
    const d = grantDecision({ grant: base }, 'fs', 'read_file', { path: '/etc/shadow-CANARY' }, T);
    assert.equal(d.allowed, false);
    assert.ok(!JSON.stringify(d).includes('CANARY'));
    assert.equal(
      grantDecision({ grant: base }, 'fs', 'read_file', { path: '/workspace/a' }, base.expiresAt).allowed,
      false,
    );
  });
});
