import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAppError } from '../../../src/core/index.ts';
import type { LogFields, Logger } from '../../../src/core/index.ts';
import { BwrapLauncher } from '../../../src/sandbox/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';
import { sandboxUnavailable } from '../sandbox/helpers.ts';

const unavailable = sandboxUnavailable();
const PROBE = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'probe-server.mjs');
const POLICY = `
@id("tester-all")
permit (principal in Warden::Role::"tester", action == Warden::Action::"call_tool", resource);
`;

const probe = (name: string, sandbox: string[]): string[] => [
  `  ${name}:`,
  `    command: ${JSON.stringify(process.execPath)}`,
  `    args: [${JSON.stringify(PROBE)}]`,
  ...sandbox.map((l) => `    ${l}`),
];
const yaml =
  (...servers: string[][]) =>
  (): string =>
    ['version: 1', 'gateway:', '  listen: 127.0.0.1:0', 'servers:', ...servers.flat(), ''].join('\n');

function recordingLogger(lines: { level: string; msg: string; fields?: LogFields }[]): Logger {
  const rec =
    (level: string) =>
    (msg: string, fields?: LogFields): void =>
      void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  const l: Logger = {
    debug: () => {},
    info: rec('info'),
    warn: rec('warn'),
    error: rec('error'),
    child: () => l,
  };
  return l;
}

async function startError(opts: Parameters<typeof startTestGateway>[0]): Promise<Error> {
  try {
    const t = await startTestGateway(opts);
    await t.cleanup();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected the gateway to refuse to start');
}

describe('gateway start-up: sandbox settings and availability', () => {
  it('an invalid sandbox block is a config error naming servers.<name>.sandbox', async () => {
    const e = await startError({
      launcher: 'sandbox',
      policies: { 'p.cedar': POLICY },
      yaml: yaml(probe('probe', ['sandbox: { allowHosts: ["*"], memry: 512M }'])),
    });
    assert.ok(isAppError(e) && e.code === 'ERR_CONFIG_INVALID', String(e));
    assert.match(e.message, /warden\.yaml: servers\.probe\.sandbox\.allowHosts\.0: /);
    assert.match(e.message, /servers\.probe\.sandbox\.memry: unknown key "memry"/);
  });

  it('an invalid sandbox profile is a config error naming sandbox_profiles.<name>', async () => {
    const e = await startError({
      policies: { 'p.cedar': POLICY },
      yaml: () =>
        `${yaml(probe('probe', ['sandbox: { profile: tiny }']))()}sandbox_profiles:\n  tiny: { pids: 1 }\n`,
    });
    assert.ok(isAppError(e) && e.code === 'ERR_CONFIG_INVALID', String(e));
    assert.match(e.message, /sandbox_profiles\.tiny\.pids: /);
  });

  it('missing bubblewrap stops start-up with the install command, naming the servers', async () => {
    const e = await startError({
      policies: { 'p.cedar': POLICY },
      start: { launcher: new BwrapLauncher({ bwrapPath: '/nonexistent/bwrap' }) },
      yaml: yaml(probe('probe', [])),
    });
    assert.ok(isAppError(e) && e.code === 'ERR_SANDBOX_UNAVAILABLE', String(e));
    assert.match(e.message, /apt-get install -y bubblewrap/);
    assert.match(e.message, /servers probe run sandboxed/);
    assert.match(e.message, /sandbox: false/);
  });

  it(
    'a workspace the sandbox uid cannot reach stops start-up, naming the path and the fix',
    { skip: unavailable ?? (process.getuid?.() === 0 ? undefined : 'only root drops to another uid') },
    async () => {
      const e = await startError({
        launcher: 'sandbox',
        policies: { 'p.cedar': POLICY },
        yaml: (dir) => {
          mkdirSync(join(dir, 'private', 'ws'), { recursive: true });
          chmodSync(join(dir, 'private'), 0o700);
          return yaml(probe('probe', ['sandbox: { workspace: { mode: bind, path: private/ws } }']))();
        },
      });
      assert.ok(isAppError(e) && e.code === 'ERR_SANDBOX_CONFIG', String(e));
      assert.match(
        e.message,
        /probe: the sandbox runs as uid 65534, which cannot reach .*private\/ws: .*private \(owner 0, mode 0700\) is not searchable/,
      );
      assert.match(e.message, /chmod o\+x/);
    },
  );

  it('twin: without bubblewrap, opted-out and remote servers still start (remote servers are unaffected)', async () => {
    const t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      start: { launcher: new BwrapLauncher({ bwrapPath: '/nonexistent/bwrap' }) },
      yaml: yaml(probe('probe', ['sandbox: false']), ['  remote:', '    url: http://127.0.0.1:9/mcp']),
    });
    try {
      const c = await t.client(await t.agent('tester-bot', ['tester']));
      const r = await c.callTool({ name: 'probe.echo', arguments: { text: 'plain' } });
      assert.match(JSON.stringify(r.content), /plain/);
    } finally {
      await t.cleanup();
    }
  });
});

describe('[SX-15] a failed self-test keeps sandboxed servers from starting', { skip: unavailable }, () => {
  let t: TestGateway;
  const lines: { level: string; msg: string; fields?: LogFields }[] = [];

  before(async () => {
    t = await startTestGateway({
      launcher: 'sandbox',
      policies: { 'p.cedar': POLICY },
      start: {
        logger: recordingLogger(lines),
        // a broken sandbox: the host's temp directory is visible, so the planted canary is readable
        launcher: new BwrapLauncher({ requireSelfTest: true, profile: { readOnlyPaths: [tmpdir()] } }),
      },
      yaml: yaml(probe('boxed', []), probe('optout', ['sandbox: false'])),
    });
  });
  after(() => t?.cleanup());

  it('refuses to start the sandboxed server, with a message naming the failed control', async () => {
    const c = await t.client(await t.agent('tester-bot', ['tester']));
    const names = (await c.listTools()).tools.map((x) => x.name);
    assert.ok(!names.some((n) => n.startsWith('boxed.')), names.join(','));
    assert.ok(
      lines.some((l) =>
        /cannot start upstream boxed: sandbox self-test failed: .*read-canary/.test(
          String(l.fields?.['error']),
        ),
      ),
      JSON.stringify(lines),
    );
    await t.gw.services.sandboxing?.selfTest;
    const st = (await t.gw.services.audit.tail(100)).find((r) => r.kind === 'sandbox.self-test');
    assert.equal(st?.data?.['ok'], false);
    assert.ok((st?.data?.['failed'] as string[]).includes('read-canary'));
  });

  it('twin: the opted-out server still works', async () => {
    const c = await t.client(await t.agent('tester-bot2', ['tester']));
    const r = await c.callTool({ name: 'optout.echo', arguments: { text: 'still here' } });
    assert.match(JSON.stringify(r.content), /still here/);
  });
});
