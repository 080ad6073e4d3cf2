import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { scanPatterns, patternRuleNames, PATTERN_WINDOW } from '../../../src/secrets/pattern-rules.ts';
import { PREFILTERS, PREFILTERS_REVIEWED_FOR } from '../../../src/secrets/pattern-prefilters.ts';
import { REALISTIC_KEYS } from '../../fixtures/secrets/realistic-keys.ts';

/** The filtered scan must return exactly what running every rule returns. */
function same(text: string): void {
  assert.deepEqual(scanPatterns(text), scanPatterns(text, false), JSON.stringify(text.slice(0, 300)));
}

/** A small deterministic generator (xorshift32): reproducible mutations without Math.random. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function run(n: number, seed: number, alphabet = ALNUM): string {
  const r = rng(seed);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[r(alphabet.length)];
  return s;
}

function opsToken(): string {
  // 1Password: ops_ + base64 of a JSON object whose encoding ends in fQ (length % 3 === 1).
  let json = JSON.stringify({
    email: 'svc@1passwordserviceaccounts.test',
    secretKey: run(40, 7),
    srpX: run(64, 8),
  });
  while (json.length % 3 !== 1) json = json.replace('{', '{ ');
  return `ops_${Buffer.from(json).toString('base64')}`;
}

function pem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/** One or more matching examples per rule (the rule's own formats), plus the repo's realistic keys. */
const positives: string[] = [
  // from test/unit/secrets/patterns.test.ts
  `ghp_${'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5'.slice(0, 36)}`,
  'xoxb-1234567890-1234567890123-abcdefghijABCDEFGHIJabcd',
  `sk-ant-api03-${'Ab9'.repeat(31)}AA`,
  'postgres://admin:S3cr3tPassw0rd@db.internal.test:5432/app',
  'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKX',
  // from test/unit/secrets/schema.test.ts ([SB-7] realistic API keys) and the CLI test
  ...REALISTIC_KEYS,
  `ghp_${'aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4'}`,
  // every rule, in each of its forms
  'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKX"',
  "'Secret_Access_Key' => 'Zq8kL2pVw4Xr9Tn6Hm1Bc3Fd7Gj5Ks0LyQe2Ua8I'",
  'SECRETACCESSKEY:Zq8kL2pVw4Xr9Tn6Hm1Bc3Fd7Gj5Ks0LyQe2Ua8I',
  pem(),
  JSON.stringify({ private_key: pem() }),
  pem().replace('PRIVATE KEY', 'EC PRIVATE KEY').replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----'),
  `-----BEGINPRIVATE KEY-----MI${run(98, 20)}-----ENDPRIVATE KEY-----`, // the shortest the rule reports
  'https://a1b2c3d4e5f6:x-oauth-basic@github.com/owner/repo.git',
  `npm_${run(36, 3)}`,
  'https://deploy_user:Zq8kL2pVw4Xr@git.internal.test/repo',
  'ftp://backup:Zq8kL2pVw4@files.internal.test',
  'xapp-1-A0123ABCD-1234567890-abcdef0123456789',
  'xoxp-1-2-3',
  'https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx',
  'HTTPS://HOOKS.SLACK.COM/SERVICES/T0123ABCD/B0123ABCD/ABCDEFGHIJKLMNOPQRSTUVWX',
  `SG.${run(22, 4)}.${run(43, 5)}`,
  `shpat_${run(32, 6, '0123456789abcdef')}`,
  `shpss_${run(64, 9)}`,
  `github_pat_${run(82, 10)}`,
  `ghs_${run(36, 11)}`,
  `sk-${run(20, 12)}T3BlbkFJ${run(20, 13)}`,
  `sk-proj-${run(74, 14)}T3BlbkFJ${run(74, 15)}`,
  `sk-admin-${run(58, 16)}T3BlbkFJ${run(58, 17)}`,
  `sk-ant-api04-${run(93, 18)}AA`,
  `sk-ant-api03-${run(90, 21)}AA`, // the shortest
  'http://a:x-oauth-basic@github.com/', // the shortest
  `lin_api_${run(32, 22)}`, // the shortest
  `lin_api_${run(40, 19)}`,
  opsToken(),
  'mongodb+srv://svc:Zq8kL2pVw4Xr@cluster0.mongodb.test/db?retryWrites=true',
  'MONGODB://svc:Zq8kL2pVw4Xr@cluster0.mongodb.test',
  'jdbc:mysql://svc:Zq8kL2pVw4Xr@db.internal.test:3306/app',
  'mysqlx://svc:Zq8kL2pVw4Xr@db',
  'PostgreSQL://svc:Zq8kL2pVw4Xr@db.internal.test/app',
];

/** Variants that sit at each rule's boundary: cut, one code unit changed or dropped, case flipped, wrapped. */
function nearMisses(e: string, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  const pick = 'aZ09_-.:/@=+"\' \nsSkKxX';
  for (let k = 0; k <= e.length; k++) out.push(e.slice(0, k), e.slice(k));
  for (let i = 0; i < e.length; i++) {
    out.push(e.slice(0, i) + e.slice(i + 1));
    out.push(e.slice(0, i) + pick[r(pick.length)] + e.slice(i + 1));
    const c = e[i]!;
    const flipped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
    out.push(e.slice(0, i) + flipped + e.slice(i + 1));
  }
  for (const w of ['x', 'é', '_', ' ', '"', '\\n', 'ſ']) out.push(`${w}${e}`, `${e}${w}`, `${w}${e}${w}`);
  out.push(e.toUpperCase(), e.toLowerCase(), `${e} and ${e}`, `${e}${e}`);
  return out;
}

describe('pattern prefilters (a skipped rule could not have matched)', () => {
  it(`were derived from the installed preset (${PREFILTERS_REVIEWED_FOR}); re-derive them on upgrade`, () => {
    const req = createRequire(import.meta.url);
    const entry = req.resolve('@secretlint/secretlint-rule-preset-recommend');
    let dir = dirname(entry);
    while (!dir.endsWith('secretlint-rule-preset-recommend')) dir = dirname(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    assert.equal(pkg.version, PREFILTERS_REVIEWED_FOR);
    for (const name of patternRuleNames()) assert.ok(name in PREFILTERS, `no prefilter reviewed for ${name}`);
  });

  it('the examples exercise every rule that can report (the differential test is not vacuous)', () => {
    const rules = new Set(
      positives.flatMap((e) => scanPatterns(e, false).map((f) => f.ruleId.split('/')[0])),
    );
    for (const name of patternRuleNames()) {
      if (name === 'gcp') continue; // acts on .p12/.json files only; scanned text has no extension
      assert.ok(rules.has(`pattern:${name}`), `no example for ${name}: ${[...rules].join(', ')}`);
    }
  });

  it('gives the same findings as the unfiltered scan on every realistic key and example', () => {
    for (const e of positives) {
      same(e);
      same(`config: ${e} end`);
      same(JSON.stringify({ token: e }));
    }
  });

  it('gives the same findings on thousands of near misses at each rule boundary', () => {
    let n = 0;
    positives.forEach((e, i) => {
      for (const t of nearMisses(e, i + 1)) {
        same(t);
        n++;
      }
    });
    assert.ok(n > 5000, `${n} strings`);
  });

  it('gives the same findings on random text built from the rules’ literals', () => {
    const fragments = [
      ...['xox', 'xoxb-', 'xapp-', '://', 'SG.', 'shp', 'shpat_', 'ghp_', 'github_pat_', 'T3BlbkFJ'],
      ...['sk-', 'sk-ant-api03-', 'lin_api_', 'ops_ey', 'npm_', ':x-oauth-basic@github.com/', 'https'],
      ...['mongodb', 'mysql', 'postgres', 'jdbc:', 'secret', 'SECRET', '_ACCESS_', 'access', 'KEY', 'key'],
      ...['-----BEGIN ', 'PRIVATE KEY-----', '-----END ', '\n', ' = ', ':', '@', '.', '/', '"', 'AA', 'fQ=='],
    ];
    const piece = fc.oneof(
      fc.constantFrom(...fragments),
      fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 1, maxLength: 45 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (parts) => same(parts.join(''))),
      { numRuns: 3000, seed: 20261124 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (t) => same(t)),
      { numRuns: 1000, seed: 20261125 },
    );
  });

  it('gives the same findings across scan windows', () => {
    const filler = 'x '.repeat(PATTERN_WINDOW / 2 - 30);
    same(`${filler}${positives[1]} ${'ghp '.repeat(PATTERN_WINDOW / 4)}${positives[0]} ${pem()}`);
  });
});
