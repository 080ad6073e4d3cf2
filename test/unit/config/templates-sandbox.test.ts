import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/index.ts';
import type { StdioServerConfig } from '../../../src/config/index.ts';
import { validateSandboxSettings } from '../../../src/gateway/sandboxing.ts';

const TEMPLATES = join(import.meta.dirname, '..', '..', '..', 'templates');

describe('the shipped templates and sandboxing', () => {
  it('the demo runs both servers sandboxed, with workspaces next to warden.yaml', () => {
    const c = loadConfig(join(TEMPLATES, 'demo', 'warden.yaml'));
    const s = validateSandboxSettings(c);
    assert.deepEqual([...s.keys()].sort(), ['filesystem', 'memory']);
    for (const [name, v] of s) {
      assert.ok(v !== false, `${name} must not opt out`);
      assert.equal(v.workspace?.mode, 'bind');
      assert.ok(v.workspace?.path?.startsWith(join(TEMPLATES, 'demo')), v.workspace?.path);
    }
    const fs = c.servers.find((x) => x.name === 'filesystem') as StdioServerConfig;
    assert.deepEqual(fs.args.slice(-1), ['/workspace']);
  });

  it('the starter template is valid and documents the sandbox key and profiles', async () => {
    const c = loadConfig(join(TEMPLATES, 'warden.yaml'));
    assert.equal(validateSandboxSettings(c).size, 0);
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(TEMPLATES, 'warden.yaml'), 'utf8');
    assert.match(text, /#\s+sandbox:\s*\n/);
    assert.match(text, /#\s+sandbox: false/);
    assert.match(text, /# sandbox_profiles:/);
  });
});
