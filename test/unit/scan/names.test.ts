import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  collisionKeys,
  confusableSources,
  findCollisions,
  nameSkeleton,
  validateToolName,
} from '../../../src/scan/index.ts';

describe('validateToolName', () => {
  it('[SH-3] accepts names made of [A-Za-z0-9_.-] up to 128 characters', () => {
    for (const n of ['add', 'get_file_info', 'github.create-issue', 'A1', 'x'.repeat(128)]) {
      assert.deepEqual(validateToolName(n), { ok: true, value: n });
    }
  });

  it('[SH-3] rejects a Cyrillic і and names the code point and position', () => {
    const r = validateToolName('g\u0456thub_create_issue');
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.code, 'ERR_TOOL_NAME_CHARS');
    assert.match(!r.ok ? r.message : '', /U\+0456\) at position 1/);
  });

  it('[SH-3] rejects empty, too long, spaces, zero-width and fullwidth names', () => {
    const cases: [string, string][] = [
      ['', 'ERR_TOOL_NAME_EMPTY'],
      ['x'.repeat(129), 'ERR_TOOL_NAME_LENGTH'],
      ['read file', 'ERR_TOOL_NAME_CHARS'],
      ['read\u200bfile', 'ERR_TOOL_NAME_CHARS'],
      ['ｒead', 'ERR_TOOL_NAME_CHARS'],
      ['a,b', 'ERR_TOOL_NAME_CHARS'],
      ['a/b', 'ERR_TOOL_NAME_CHARS'],
    ];
    for (const [n, code] of cases) {
      const r = validateToolName(n);
      assert.equal(r.ok, false, n);
      assert.equal(!r.ok && r.code, code, n);
    }
  });

  it('never echoes an invisible character in its message', () => {
    const r = validateToolName('a\u202eb');
    assert.equal(r.ok, false);
    assert.doesNotMatch(!r.ok ? r.message : '', /\u202e/);
  });
});

describe('nameSkeleton', () => {
  it('[SH-3] maps homoglyph, fullwidth, zero-width and case variants to one skeleton', () => {
    const base = nameSkeleton('github_create_issue');
    for (const v of [
      'g\u0456thub_create_issue',
      'GitHub_Create_Issue',
      'ｇｉｔｈｕｂ_create_issue',
      'git\u200dhub_create_issue',
      'github_creat\u0435_issue',
      'github-create-issue',
      'github_create_\u0456ssue\u{E0041}',
    ]) {
      assert.equal(nameSkeleton(v), base, v);
    }
  });

  it('keeps genuinely different names apart', () => {
    assert.notEqual(nameSkeleton('read_file'), nameSkeleton('write_file'));
    assert.notEqual(nameSkeleton('list_issues'), nameSkeleton('list_pulls'));
  });
});

/** Names in the style of real servers, to generate confusable variants from. */
const BASE_NAMES = [
  'read_file',
  'write_file',
  'edit_file',
  'list_directory',
  'search_files',
  'get_file_info',
  'create_entities',
  'create_relations',
  'add_observations',
  'delete_entities',
  'read_graph',
  'search_nodes',
  'open_nodes',
  'echo',
  'add',
  'longRunningOperation',
  'printEnv',
  'sampleLLM',
  'github_create_issue',
  'create_pull_request',
  'list_commits',
  'send_email',
  'slack_post_message',
  'query',
  'fetch',
  'get_current_time',
  'convert_time',
  'git_status',
  'git_diff',
  'git_commit',
  'browser_navigate',
  'browser_click',
  'browser_snapshot',
  'execute_sql',
  'list_tables',
];

type Variant = { kind: string; make: (s: string, seed: number) => string | null };

function homoglyphVariant(s: string, seed: number): string | null {
  const sources = confusableSources();
  const chars = [...s];
  const positions = chars.map((c, i) => [c, i] as const).filter(([c]) => (sources.get(c) ?? []).length > 0);
  if (positions.length === 0) return null;
  const [c, i] = positions[seed % positions.length]!;
  const alts = sources.get(c)!;
  chars[i] = alts[(seed * 7919) % alts.length]!;
  return chars.join('');
}

const VARIANTS: Variant[] = [
  { kind: 'homoglyph', make: homoglyphVariant },
  {
    kind: 'case',
    make: (s, seed) => {
      const chars = [...s];
      const i = seed % chars.length;
      const c = chars[i]!;
      const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
      if (flipped === c) return null;
      chars[i] = flipped;
      return chars.join('');
    },
  },
  {
    kind: 'zero-width',
    make: (s, seed) => {
      const zw = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u{E0020}', '\u202e', '\u00ad'];
      const i = 1 + (seed % (s.length - 1));
      return s.slice(0, i) + zw[seed % zw.length]! + s.slice(i);
    },
  },
  {
    kind: 'fullwidth',
    make: (s, seed) => {
      const chars = [...s];
      const i = seed % chars.length;
      const cp = chars[i]!.codePointAt(0)!;
      if (cp < 0x21 || cp > 0x7e) return null;
      chars[i] = String.fromCodePoint(cp + 0xfee0);
      return chars.join('');
    },
  },
];

function generatePairs(): { kind: string; a: string; b: string }[] {
  const pairs: { kind: string; a: string; b: string }[] = [];
  for (const [bi, base] of BASE_NAMES.entries()) {
    for (const v of VARIANTS) {
      for (let k = 0; k < 3; k++) {
        const b = v.make(base, bi * 31 + k * 17 + 1);
        if (b !== null && b !== base) pairs.push({ kind: v.kind, a: base, b });
      }
    }
  }
  return pairs;
}

describe('findCollisions', () => {
  it('[SH-3][G-ADV-6] finds every one of >= 200 generated confusable, case and zero-width pairs', () => {
    const pairs = generatePairs();
    assert.ok(pairs.length >= 400, `only ${pairs.length} pairs`);
    const missed = pairs.filter(({ a, b }) => findCollisions([a, b]).length !== 1);
    assert.deepEqual(missed, []);
    for (const k of ['homoglyph', 'case', 'zero-width', 'fullwidth']) {
      assert.ok(pairs.filter((p) => p.kind === k).length >= 30, k);
    }
  });

  it('[SH-1][G-ADV-6] finds each generated variant among all names of all servers at once', () => {
    const pairs = generatePairs();
    const variants = [...new Set(pairs.map((p) => p.b))];
    const found = findCollisions([...BASE_NAMES, ...variants]);
    const hit = new Set(found.map((c) => c.b));
    assert.deepEqual(
      variants.filter((v) => !hit.has(v)),
      [],
    );
  });

  it('[SH-1] labels exact and case-only collisions as such', () => {
    assert.deepEqual(findCollisions(['send_email', 'send_email']), [
      { a: 'send_email', b: 'send_email', reason: 'exact' },
    ]);
    assert.deepEqual(findCollisions(['send_email', 'Send_Email']), [
      { a: 'send_email', b: 'Send_Email', reason: 'case' },
    ]);
    assert.deepEqual(findCollisions(['paypal', 'paypaI']), [
      { a: 'paypal', b: 'paypaI', reason: 'confusable' },
    ]);
  });

  it('[G-ADV-6] benign twin: the ordinary distinct names of real servers do not collide', () => {
    assert.deepEqual(findCollisions(BASE_NAMES), []);
    const more = BASE_NAMES.flatMap((n) => [`fs.${n}`, `github.${n}`]);
    assert.deepEqual(findCollisions(more), []);
  });

  it('finds a collision between any name and a copy with an inserted zero-width character (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9_]{1,30}$/),
        fc.nat(),
        fc.constantFrom('\u200b', '\u200d', '\u2066', '\u{E0061}'),
        (name, pos, zw) => {
          const i = pos % (name.length + 1);
          const v = name.slice(0, i) + zw + name.slice(i);
          return findCollisions([name, v]).length === 1;
        },
      ),
    );
  });

  it('stays linear when many names collide', () => {
    const names = Array.from({ length: 2000 }, () => 'same');
    assert.equal(findCollisions(names).length, 1999);
  });
});

describe('collisionKeys', () => {
  it('[SH-3] shares a key between paypal and paypaI (capital I), which nameSkeleton alone separates', () => {
    const a = collisionKeys('paypal');
    const b = collisionKeys('paypaI');
    assert.notEqual(nameSkeleton('paypal'), nameSkeleton('paypaI'));
    assert.ok(a.some((k) => b.includes(k)));
    assert.ok(!collisionKeys('paypal').some((k) => collisionKeys('paypad').includes(k)));
  });
});
