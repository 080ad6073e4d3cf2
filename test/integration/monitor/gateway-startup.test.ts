/**
 * The `monitor:` section of warden.yaml at gateway start-up: validated with file and path,
 * secrets named by environment variable (never the value in an error), and `enabled: false`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/index.ts';
import { startGateway } from '../../../src/gateway/index.ts';
import { parseMonitorConfig } from '../../../src/monitor/index.ts';

async function start(monitor: string): Promise<{ close(): Promise<void>; monitorOn: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-mon-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'none.cedar'), '');
  writeFileSync(
    join(dir, 'warden.yaml'),
    `version: 1\ngateway:\n  listen: 127.0.0.1:0\nmonitor:\n${monitor.replace(/^/gm, '  ')}\n`,
  );
  try {
    const gw = await startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false });
    return {
      monitorOn: gw.services.monitor !== undefined,
      async close() {
        await gw.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

describe('monitor configuration at gateway start-up', () => {
  it('starts the monitor by default and not with enabled: false', async () => {
    const on = await start('learning: { minEvents: 10 }');
    assert.equal(on.monitorOn, true);
    await on.close();
    const off = await start('enabled: false');
    assert.equal(off.monitorOn, false);
    await off.close();
  });

  it('refuses an unknown detector mode, naming the file and the path', async () => {
    await assert.rejects(
      start('detectors:\n  first-tool: { mode: panic }'),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ERR_MONITOR_CONFIG');
        assert.match(e.message, /warden\.yaml: monitor\.detectors\.first-tool\.mode/);
        return true;
      },
    );
    await assert.rejects(start('detecters: {}'), /monitor: .*detecters/);
  });

  it('refuses a webhook whose HMAC key variable is unset, naming the variable only', async () => {
    delete process.env.WARDEN_TEST_HOOK_KEY;
    await assert.rejects(
      start('webhook: { url: "https://hooks.example.com/w", secretEnv: WARDEN_TEST_HOOK_KEY }'),
      /monitor\.webhook\.secretEnv: the environment variable WARDEN_TEST_HOOK_KEY is not set/,
    );
    process.env.WARDEN_TEST_HOOK_KEY = 'short-canary';
    await assert.rejects(
      start('webhook: { url: "https://hooks.example.com/w", secretEnv: WARDEN_TEST_HOOK_KEY }'),
      (e: Error) => {
        assert.match(e.message, /shorter than 16 characters/);
        assert.equal(e.message.includes('short-canary'), false);
        return true;
      },
    );
    delete process.env.WARDEN_TEST_HOOK_KEY;
  });

  it('refuses plain-http sinks off loopback and the key itself in place of its variable name', async () => {
    await assert.rejects(
      start('webhook: { url: "http://hooks.example.com/w", secretEnv: K }'),
      /monitor\.webhook\.url: .*must use https/,
    );
    await assert.rejects(start('otlp: { endpoint: "http://collector.example.com:4318" }'), /must use https/);
    await assert.rejects(
      start('webhook: { url: "https://hooks.example.com/w", secretEnv: "s3cr3t key!" }'),
      /secretEnv: an environment variable name/,
    );
  });

  it('accepts a loopback OTLP endpoint and the commented monitor section of the init template', async () => {
    const gw = await start('otlp: { endpoint: "http://127.0.0.1:4318" }');
    await gw.close();
    const template = readFileSync(new URL('../../../templates/warden.yaml', import.meta.url), 'utf8');
    const lines = template.split('\n');
    const from = lines.findIndex((l) => l.startsWith('# monitor:'));
    assert.ok(from > 0, 'the template documents monitor:');
    const section = lines
      .slice(from)
      .filter((l) => l.startsWith('#'))
      .map((l) => l.slice(2))
      .join('\n');
    const parsed = parse(section) as { monitor: unknown };
    const cfg = parseMonitorConfig(parsed.monitor);
    assert.equal(cfg.webhook?.secretEnv, 'WARDEN_WEBHOOK_SECRET');
    assert.equal(cfg.detectors['toxic-flow'].sensitiveTools[0], 'mail/send_*');
  });
});
