#!/usr/bin/env node
// Finds test files (Node 20's test runner does not expand globs) and runs them with node:test
// through tsx. Usage: node scripts/run-tests.mjs [dir-or-file …]  (default: test/)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
function walk(p) {
  const st = statSync(p);
  if (st.isFile()) {
    if (/\.test\.ts$/.test(p)) files.push(p);
    return;
  }
  for (const name of readdirSync(p).sort()) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    walk(join(p, name));
  }
}
for (const r of roots.length > 0 ? roots : ['test']) walk(r);
if (files.length === 0) {
  console.error('run-tests: no test files found under', roots.join(' ') || 'test');
  process.exit(1);
}
const concurrency = process.env.WARDEN_TEST_CONCURRENCY ?? '2';
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  // Per test file (each runs in its own process) and per test: a hang fails the run, while a
  // CLI-heavy file on a loaded 2-core machine (several minutes) still finishes.
  '--test-timeout=300000',
  ...passthrough,
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
