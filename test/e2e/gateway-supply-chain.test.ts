/**
 * Tool supply chain end to end (issue 6): a real gateway, the official SDK client, real stdio
 * servers (a rug-pulling fixture and the npm servers), SQLite, and the `warden` CLI run as a
 * separate process against the same store while the gateway is up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startTestGateway, wardenCli } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { effectsOf, modeServer } from '../helpers/supply.ts';

const SUPPLY = join(import.meta.dirname, '..', 'fixtures', 'servers', 'supply-server.mjs');
const POLICY = `permit (principal in Warden::Role::"u", action, resource);`;

const warden = wardenCli;

const supplyServer = (name: string, mode: string, dir: string): string[] =>
  modeServer(SUPPLY, name, mode, dir);
const effects = effectsOf;

async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof McpError);
    return (e.data as { reason: string }).reason;
  }
  assert.fail('not refused');
}

describe('supply chain end to end', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: (dir) =>
        [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          ...supplyServer('math', 'rugpull', dir),
          ...supplyServer('notes', 'poisoned', dir),
          '',
        ].join('\n'),
    });
  });
  after(() => t.cleanup());

  it('[RP-1] a description changed after three calls blocks the fourth; `warden pins approve` (CLI, same store) restores it', async () => {
    const c = await t.client(await t.agent('e2e-rp1', ['u']));
    const changed = new Promise<void>((r) =>
      c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        r();
        return Promise.resolve();
      }),
    );
    const add = (): Promise<unknown> => c.callTool({ name: 'math.add', arguments: { a: 2, b: 3 } });
    for (let i = 0; i < 3; i++) await add();
    await changed;
    assert.equal(await refused(add()), 'definition_changed');
    assert.equal(effects(t, 'math').length, 3, 'the fourth call never reached the server');
    const list = warden(t, '--json', 'pins', 'list', 'math');
    assert.equal(list.code, 0, list.stderr);
    const pin = (JSON.parse(list.stdout) as { tool: string; changed: boolean; seenHash: string }[])[0]!;
    assert.equal(pin.changed, true);
    const diff = warden(t, 'pins', 'diff', 'math', 'add');
    assert.match(diff.stdout, /^- {3}"description": "Add two numbers\.",$/m);
    assert.match(diff.stdout, /^\+ {3}"description": "Add two numbers and return the sum\.",$/m);
    assert.equal(await refused(add()), 'definition_changed', 'still blocked until approved');
    const ok = warden(t, 'pins', 'approve', 'math', 'add', pin.seenHash);
    assert.equal(ok.code, 0, ok.stderr);
    await add();
    assert.equal(effects(t, 'math').length, 4);
    const audit = await t.gw.services.audit.tail(100);
    assert.ok(audit.some((r) => r.kind === 'pins.approved' && r.tool === 'add'));
  });

  it('[TP-1] a poisoned tool is absent from tools/list and its call is refused; its clean sibling works', async () => {
    const c = await t.client(await t.agent('e2e-tp1', ['u']));
    const names = (await c.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('notes.add'));
    assert.ok(!names.includes('notes.read_notes'));
    assert.equal(
      await refused(c.callTool({ name: 'notes.read_notes', arguments: { topic: 'x', sidenote: 'k' } })),
      'quarantined',
    );
    assert.deepEqual(effects(t, 'notes'), []);
    await c.callTool({ name: 'notes.add', arguments: { a: 1, b: 1 } });
    assert.deepEqual(effects(t, 'notes'), ['add']);
    // Approving a quarantined definition does not make it callable: the scanner verdict stands.
    const pin = (
      JSON.parse(warden(t, '--json', 'pins', 'list', 'notes').stdout) as { tool: string; seenHash: string }[]
    ).find((p) => p.tool === 'read_notes')!;
    assert.equal(warden(t, 'pins', 'approve', 'notes', 'read_notes', pin.seenHash).code, 0);
    assert.equal(
      await refused(c.callTool({ name: 'notes.read_notes', arguments: { topic: 'x' } })),
      'quarantined',
    );
  });
});

describe('[TP-1][RP-3] benign twin: the real npm servers pass clean through the gateway', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      policies: { 'p.cedar': POLICY },
      yaml: (dir) => {
        mkdirSync(join(dir, 'ws'));
        writeFileSync(join(dir, 'ws', 'a.txt'), 'a\n');
        return [
          'version: 1',
          'gateway:',
          '  listen: 127.0.0.1:0',
          'servers:',
          '  fs:',
          '    package: "@modelcontextprotocol/server-filesystem"',
          `    args: ["${join(dir, 'ws')}"]`,
          '  memory:',
          '    package: "@modelcontextprotocol/server-memory"',
          '    env:',
          `      MEMORY_FILE_PATH: "${join(dir, 'memory.jsonl')}"`,
          '  everything:',
          '    package: "@modelcontextprotocol/server-everything"',
          '',
        ].join('\n');
      },
    });
  });
  after(() => t.cleanup());

  it('shows every tool of filesystem, memory and everything, pins them all as trusted, and calls work', async () => {
    const c = await t.client(await t.agent('e2e-real', ['u']));
    const tools = (await c.listTools()).tools.map((x) => x.name);
    const pins = await t.gw.services.supply.pins.list(undefined, 'tool');
    assert.ok(pins.length >= 30, `pinned ${pins.length} tools`);
    assert.equal(tools.length, pins.length, 'no tool of a real server was hidden');
    assert.ok(pins.every((p) => p.status === 'trusted' && !p.changed));
    const verdicts = (await t.gw.services.audit.tail(500)).filter((r) => r.kind === 'supply.verdict');
    const notClean = verdicts.filter((r) => (r.data as { verdict: string }).verdict !== 'clean');
    assert.deepEqual(
      notClean.map((r) => `${r.server}.${r.tool}`),
      [],
    );
    for (const s of ['fs', 'memory', 'everything'])
      assert.ok(
        tools.some((n) => n.startsWith(`${s}.`)),
        s,
      );
    const r = (await c.callTool({
      name: 'fs.read_text_file',
      arguments: { path: join(t.dir, 'ws', 'a.txt') },
    })) as {
      content: { text: string }[];
    };
    assert.equal(r.content[0]!.text, 'a\n');
    await c.callTool({ name: 'memory.read_graph', arguments: {} });
    await c.callTool({ name: 'everything.echo', arguments: { message: 'hi' } });
  });

  it('[TP-1][RP-1] the prompts, resources and templates of filesystem, memory and everything are all clean, pinned and usable', async () => {
    const c = await t.client(await t.agent('e2e-real-items', ['u']));
    const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
    const resources = (await c.listResources()).resources.map((r) => r.uri);
    const templates = (await c.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate);
    const pins = t.gw.services.supply.pins;
    const pinned = async (kind: 'prompt' | 'resource' | 'resource-template'): Promise<string[]> => {
      const rows = await pins.list(undefined, kind);
      assert.ok(
        rows.every((p) => p.status === 'trusted' && !p.changed),
        kind,
      );
      return rows.map((p) => (kind === 'prompt' ? `${p.server}.${p.tool}` : p.tool)).sort();
    };
    // everything has prompts, resources and templates; memory a resource; filesystem none.
    assert.ok(
      prompts.length >= 4 && resources.length >= 2 && templates.length >= 2,
      JSON.stringify({ prompts, resources, templates }),
    );
    assert.deepEqual(await pinned('prompt'), [...prompts].sort(), 'every prompt pinned and none hidden');
    assert.deepEqual(
      await pinned('resource'),
      [...resources].sort(),
      'every resource pinned and none hidden',
    );
    assert.deepEqual(await pinned('resource-template'), [...templates].sort());
    assert.ok(resources.includes('memory://knowledge-graph'));
    const verdicts = (await t.gw.services.audit.tail(1000)).filter(
      (r) => r.kind === 'supply.verdict' && (r.data as { kind?: string }).kind !== undefined,
    );
    assert.ok(verdicts.length >= prompts.length + resources.length + templates.length);
    assert.deepEqual(
      verdicts
        .filter((r) => (r.data as { verdict: string }).verdict !== 'clean' || r.decision !== 'allow')
        .map((r) => `${r.server} ${(r.data as { kind: string }).kind} ${r.tool}`),
      [],
    );
    const p = await c.getPrompt({ name: 'everything.simple-prompt' });
    assert.ok(p.messages.length > 0);
    const g = await c.readResource({ uri: 'memory://knowledge-graph' });
    assert.equal(g.contents.length, 1);
    const d = await c.readResource({ uri: 'demo://resource/dynamic/text/1' });
    assert.equal(d.contents.length, 1);
  });

  it('a client with more capabilities may see more tools of the same server without a split-view flag', async () => {
    const key = await t.agent('e2e-caps', ['u']);
    const c = new Client(
      { name: 'caps', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {} } },
    );
    await c.connect(
      new StreamableHTTPClientTransport(new URL(t.gw.url), {
        requestInit: { headers: { Authorization: `Bearer ${key}` } },
      }),
    );
    try {
      const tools = (await c.listTools()).tools.map((x) => x.name);
      assert.ok(tools.includes('everything.trigger-sampling-request'), 'a tool offered only with sampling');
      assert.deepEqual(await t.gw.services.supply.pins.flags(), []);
      await c.callTool({ name: 'everything.echo', arguments: { message: 'hi' } });
    } finally {
      await c.close();
    }
  });
});
