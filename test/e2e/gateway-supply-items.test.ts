/**
 * Prompts, resources and resource templates in the supply chain end to end (issue 6): a real
 * gateway, the official SDK client, a real stdio fixture server that poisons or rug-pulls its
 * prompts and resources, SQLite, and the `warden` CLI run as a separate process against the same
 * store while the gateway is up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { auditUntil, startTestGateway, wardenCli } from '../helpers/gateway.ts';
import type { TestGateway } from '../helpers/gateway.ts';
import { effectsOf, modeServer } from '../helpers/supply.ts';

const ITEMS = join(import.meta.dirname, '..', 'fixtures', 'servers', 'supply-items-server.mjs');
const POLICY = `permit (principal in Warden::Role::"u", action, resource);`;

const warden = wardenCli;

const itemsServer = (name: string, mode: string, dir: string): string[] => modeServer(ITEMS, name, mode, dir);
const effects = effectsOf;

/** The refusal's `error.data` (fails the test when the request was not refused). */
async function refused(p: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof McpError, String(e));
    assert.equal(e.code, -32010, e.message);
    return e.data as Record<string, string>;
  }
  assert.fail('not refused');
}

function notified(
  c: Client,
  schema: typeof PromptListChangedNotificationSchema | typeof ResourceListChangedNotificationSchema,
): Promise<void> {
  return new Promise((r) =>
    c.setNotificationHandler(schema, () => {
      r();
      return Promise.resolve();
    }),
  );
}

type PinRow = { kind: string; tool: string; status: string; changed: boolean; seenHash: string };

describe('prompts and resources in the supply chain, end to end', () => {
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
          ...itemsServer('notes', 'poisoned', dir),
          ...itemsServer('docs', 'rugpull', dir),
          '',
        ].join('\n'),
    });
  });
  after(() => t.cleanup());

  it('[TP-1] a poisoned prompt is absent from prompts/list and prompts/get is refused; its clean twin works', async () => {
    const c = await t.client(await t.agent('items-tp1-prompt', ['u']));
    const names = (await c.listPrompts()).prompts.map((p) => p.name);
    assert.ok(names.includes('notes.summarize'), names.join());
    assert.ok(!names.includes('notes.review'), 'the poisoned prompt is hidden');
    const data = await refused(c.getPrompt({ name: 'notes.review', arguments: { diff: 'x' } }));
    assert.deepEqual(data, {
      code: 'ERR_PROMPT_BLOCKED',
      reason: 'quarantined',
      server: 'notes',
      kind: 'prompt',
      name: 'review',
    });
    assert.ok(!effects(t, 'notes').includes('prompt:review'), 'the refused get never reached the server');
    const ok = await c.getPrompt({ name: 'notes.summarize', arguments: { text: 'hello' } });
    assert.match(JSON.stringify(ok.messages), /Summarize: hello/);
    assert.ok(effects(t, 'notes').includes('prompt:summarize'));
    // Approving a quarantined definition does not make it usable: the scanner's verdict stands.
    const pins = JSON.parse(
      warden(t, '--json', 'pins', 'list', 'notes', '--kind', 'prompt').stdout,
    ) as PinRow[];
    const review = pins.find((p) => p.tool === 'review')!;
    assert.equal(warden(t, 'pins', 'approve', 'notes', 'review', review.seenHash).code, 0);
    assert.equal(
      (await refused(c.getPrompt({ name: 'notes.review', arguments: { diff: 'x' } }))).reason,
      'quarantined',
    );
    const audit = await auditUntil(
      t.gw,
      (r) =>
        r.kind === 'supply.verdict' && (r.data as { kind?: string }).kind === 'prompt' && r.tool === 'review',
    );
    const verdict = audit.find((r) => r.kind === 'supply.verdict' && r.tool === 'review')!;
    assert.equal(verdict.decision, 'deny');
    assert.equal((verdict.data as { verdict: string }).verdict, 'malicious');
  });

  it('[TP-1] a poisoned resource and resource template are hidden and reads through them refused; their clean twins work', async () => {
    const c = await t.client(await t.agent('items-tp1-res', ['u']));
    const uris = (await c.listResources()).resources.map((r) => r.uri);
    assert.ok(uris.includes('notes://team/readme'));
    assert.ok(!uris.includes('notes://team/secrets'));
    const templates = (await c.listResourceTemplates()).resourceTemplates.map((r) => r.uriTemplate);
    assert.ok(templates.includes('notes://team/pages/{page}'));
    assert.ok(!templates.includes('notes://evil/{path}'));
    assert.deepEqual(await refused(c.readResource({ uri: 'notes://team/secrets' })), {
      code: 'ERR_RESOURCE_BLOCKED',
      reason: 'quarantined',
      server: 'notes',
      kind: 'resource',
      uri: 'notes://team/secrets',
    });
    const viaTemplate = await refused(c.readResource({ uri: 'notes://evil/id_rsa' }));
    assert.equal(viaTemplate.kind, 'resource-template');
    assert.equal(viaTemplate.uriTemplate, 'notes://evil/{path}');
    assert.equal(viaTemplate.reason, 'quarantined');
    await assert.rejects(c.subscribeResource({ uri: 'notes://team/secrets' }), /quarantined/);
    const log = effects(t, 'notes');
    assert.ok(!log.some((l) => l.includes('secrets') || l.includes('evil')), log.join());
    const r = await c.readResource({ uri: 'notes://team/readme' });
    assert.equal((r.contents[0] as { text: string }).text, 'We write tests.');
    const page = await c.readResource({ uri: 'notes://team/pages/7' });
    assert.equal((page.contents[0] as { text: string }).text, 'page 7');
  });

  it('[RP-1] a resource whose description changes after approval is blocked until `warden pins approve`, then works', async () => {
    const c = await t.client(await t.agent('items-rp1-res', ['u']));
    const changed = notified(c, ResourceListChangedNotificationSchema);
    const uri = 'docs://team/readme';
    const read = (): Promise<unknown> => c.readResource({ uri }).then(() => undefined);
    const before = effects(t, 'docs').length;
    assert.ok((await c.listResources()).resources.some((r) => r.uri === uri));
    await c.readResource({ uri });
    await c.readResource({ uri }); // the server changes the description on this read
    await changed;
    const data = await refused(c.readResource({ uri }));
    assert.equal(data.reason, 'definition_changed');
    assert.equal(data.code, 'ERR_RESOURCE_BLOCKED');
    assert.equal(effects(t, 'docs').length - before, 2, 'the third read never reached the server');
    assert.ok(!(await c.listResources()).resources.some((r) => r.uri === uri), 'absent while changed');
    const list = warden(t, '--json', 'pins', 'list', 'docs', '--kind', 'resource');
    assert.equal(list.code, 0, list.stderr);
    const pin = (JSON.parse(list.stdout) as PinRow[]).find((p) => p.tool === uri)!;
    assert.equal(pin.kind, 'resource');
    assert.equal(pin.changed, true);
    const human = warden(t, 'pins', 'list', 'docs');
    assert.match(human.stdout, /docs\s+resource\s+docs:\/\/team\/readme\s+changed/);
    const diff = warden(t, 'pins', 'diff', 'docs', uri);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /^--- docs resource docs:\/\/team\/readme approved sha256:/m);
    assert.match(diff.stdout, /^- {3}"description": "How the team works\.",$/m);
    assert.match(diff.stdout, /^\+ {3}"description": "How the team works \(2nd edition\)\.",$/m);
    assert.equal((await refused(c.readResource({ uri }))).reason, 'definition_changed', 'still blocked');
    const ok = warden(t, 'pins', 'approve', 'docs', uri, pin.seenHash);
    assert.equal(ok.code, 0, ok.stderr);
    await read();
    assert.equal(effects(t, 'docs').length - before, 3);
    assert.ok(
      (await c.listResources()).resources.some((r) => r.uri === uri),
      'listed again',
    );
    const audit = await t.gw.services.audit.tail(200);
    assert.ok(audit.some((r) => r.kind === 'pins.approved' && r.tool === uri));
  });

  it('[RP-1] a prompt changed after approval is refused until `warden pins approve --kind prompt`', async () => {
    const c = await t.client(await t.agent('items-rp1-prompt', ['u']));
    const changed = notified(c, PromptListChangedNotificationSchema);
    const get = (): Promise<unknown> => c.getPrompt({ name: 'docs.summarize', arguments: { text: 'x' } });
    await get();
    await get(); // the server changes the description on this get
    await changed;
    assert.equal((await refused(get())).reason, 'definition_changed');
    assert.ok(!(await c.listPrompts()).prompts.some((p) => p.name === 'docs.summarize'));
    const pins = JSON.parse(
      warden(t, '--json', 'pins', 'list', 'docs', '--kind', 'prompt').stdout,
    ) as PinRow[];
    const pin = pins.find((p) => p.tool === 'summarize')!;
    const diff = warden(t, 'pins', 'diff', 'docs', 'summarize', '--kind', 'prompt');
    assert.match(
      diff.stdout,
      /^\+ {3}"description": "Summarize a text in three sentences, then list its key terms\.",$/m,
    );
    assert.match(
      diff.stdout,
      /approve with: warden pins approve docs summarize sha256:[0-9a-f]{64} --kind prompt/,
    );
    const wrongKind = warden(t, 'pins', 'approve', 'docs', 'summarize', pin.seenHash, '--kind', 'tool');
    assert.notEqual(wrongKind.code, 0, 'there is no tool named summarize');
    assert.match(wrongKind.stderr, /no pin for docs\.summarize/);
    const badKind = warden(t, 'pins', 'approve', 'docs', 'summarize', pin.seenHash, '--kind', 'prompts');
    assert.equal(badKind.code, 2);
    assert.match(badKind.stderr, /takes one of tool, prompt, resource, resource-template/);
    const ok = warden(t, 'pins', 'approve', 'docs', 'summarize', pin.seenHash, '--kind', 'prompt');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /approved docs prompt summarize sha256:/);
    await get();
    assert.ok((await c.listPrompts()).prompts.some((p) => p.name === 'docs.summarize'));
  });
});
