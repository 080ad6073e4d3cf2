/**
 * The tool supply-chain guard on the gateway's path (issue 6): a real gateway, the official SDK
 * client, a real stdio fixture server (test/fixtures/servers/supply-server.mjs) and SQLite.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { loadConfig } from '../../../src/config/index.ts';
import { startGateway } from '../../../src/gateway/index.ts';
import { OK_REUSE_MS } from '../../../src/gateway/supply.ts';
import { PinStore } from '../../../src/registry/index.ts';
import { openSqlite } from '../../../src/store/index.ts';
import { startTestGateway } from '../../helpers/gateway.ts';
import type { TestGateway } from '../../helpers/gateway.ts';

const SERVER = join(import.meta.dirname, '..', '..', 'fixtures', 'servers', 'supply-server.mjs');
const POLICY = `permit (principal in Warden::Role::"u", action, resource);`;

function yaml(mode: string, extra: string[] = [], env: Record<string, string> = {}) {
  return (dir: string): string =>
    [
      'version: 1',
      'gateway:',
      '  listen: 127.0.0.1:0',
      'servers:',
      '  supply:',
      `    command: ${process.execPath}`,
      `    args: ["${SERVER}"]`,
      '    env:',
      `      SUPPLY_MODE: ${mode}`,
      `      SUPPLY_COUNTER_FILE: "${join(dir, 'effects.log')}"`,
      `      SPLIT_COUNTER_FILE: "${join(dir, 'split.count')}"`,
      ...Object.entries(env).map(([k, v]) => `      ${k}: "${v}"`),
      ...extra,
      '',
    ].join('\n');
}

function effects(t: TestGateway): string[] {
  const f = join(t.dir, 'effects.log');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}

async function names(c: Client): Promise<string[]> {
  return (await c.listTools()).tools.map((t) => t.name).sort();
}

async function refusal(p: Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof McpError, String(e));
    const data = e.data as { reason?: string } | undefined;
    return { code: e.code, reason: data?.reason ?? '', message: e.message };
  }
  assert.fail('the call was not refused');
}

function listChanged(c: Client): Promise<void> {
  return new Promise((resolve) =>
    c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      resolve();
      return Promise.resolve();
    }),
  );
}

const add = (c: Client): Promise<unknown> => c.callTool({ name: 'supply.add', arguments: { a: 1, b: 2 } });

describe('gateway supply-chain enforcement', () => {
  describe('rug pull', () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, yaml: yaml('rugpull') });
    });
    after(() => t.cleanup());

    it('[RP-1] refuses the 4th call after the description changed on the 3rd; an approval restores it', async () => {
      const c = await t.client(await t.agent('rp1', ['u']));
      const changed = listChanged(c);
      assert.deepEqual(await names(c), ['supply.add']);
      for (let i = 0; i < 3; i++) await add(c);
      await changed;
      const r = await refusal(add(c));
      assert.equal(r.code, -32010);
      assert.equal(r.reason, 'definition_changed');
      assert.match(r.message, /supply\.add.*changed since it was approved/);
      assert.deepEqual(effects(t), ['add', 'add', 'add'], 'the refused call never reached the server');
      assert.deepEqual(await names(c), [], 'a changed tool is hidden from tools/list');
      const pins = t.gw.services.supply.pins;
      assert.match(await pins.diff('supply', 'add'), /\+.*return the sum/);
      const seen = (await pins.list('supply'))[0]!.seenHash;
      await pins.approve('supply', 'add', seen, 'test');
      assert.deepEqual(await names(c), ['supply.add']);
      await add(c);
      assert.equal(effects(t).length, 4);
      assert.deepEqual(await pins.flags('supply'), [], 'an announced change is not a split view');
      const kinds = (await t.gw.services.audit.tail(200)).filter((x) => x.kind.startsWith('supply.'));
      assert.ok(kinds.some((x) => x.kind === 'supply.list_changed'));
      assert.ok(
        kinds.some(
          (x) => x.kind === 'supply.verdict' && x.decision === 'deny' && x.reasons?.[0] === 'changed',
        ),
      );
    });
  });

  describe('rejection by another process', () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, yaml: yaml('stable') });
    });
    after(() => t.cleanup());

    it(`[RP-1] a rejection made through another connection stops calls within ${OK_REUSE_MS} ms; approval applies at the next call`, async () => {
      const c = await t.client(await t.agent('other-proc', ['u']));
      assert.deepEqual(await names(c), ['supply.add']);
      await add(c);
      await add(c); // a positive verdict may now be reused for OK_REUSE_MS
      const db = openSqlite(join(t.gw.services.config.dataDir, 'warden.db'));
      try {
        const other = await PinStore.open(db); // as `warden pins reject` would, in its own process
        const hash = (await other.list('supply'))[0]!.seenHash;
        await other.reject('supply', 'add', 'test');
        await new Promise((r) => setTimeout(r, OK_REUSE_MS + 50));
        const r = await refusal(add(c));
        assert.equal(r.reason, 'rejected');
        assert.equal(effects(t).length, 2, 'the refused call never reached the server');
        // Twin: an approval is never waiting behind a cached refusal.
        await other.approve('supply', 'add', hash, 'test');
        await add(c);
        assert.equal(effects(t).length, 3);
      } finally {
        await db.close();
      }
    });
  });

  describe('tools added by list_changed', () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, yaml: yaml('addtool') });
    });
    after(() => t.cleanup());

    it('[RP-2] holds a tool announced by list_changed until approved; the known tool stays callable', async () => {
      const c = await t.client(await t.agent('rp2', ['u']));
      const changed = listChanged(c);
      for (let i = 0; i < 3; i++) await add(c);
      await changed;
      assert.deepEqual(await names(c), ['supply.add']);
      const r = await refusal(c.callTool({ name: 'supply.wipe', arguments: {} }));
      assert.equal(r.reason, 'pending_approval');
      await add(c); // twin: the approved tool still works
      assert.deepEqual(effects(t), ['add', 'add', 'add', 'add']);
      const pins = t.gw.services.supply.pins;
      const wipe = (await pins.list('supply')).find((p) => p.tool === 'wipe')!;
      assert.equal(wipe.status, 'pending');
      await pins.approve('supply', 'wipe', wipe.seenHash, 'test');
      await c.callTool({ name: 'supply.wipe', arguments: {} });
      assert.equal(effects(t).at(-1), 'wipe');
    });
  });

  describe('poisoned tools', () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, yaml: yaml('poisoned') });
    });
    after(() => t.cleanup());

    it('[TP-1][TP-2] quarantines a poisoned tool: absent from tools/list, its call refused, no effect', async () => {
      const c = await t.client(await t.agent('tp1', ['u']));
      assert.deepEqual(await names(c), ['supply.add']);
      const r = await refusal(c.callTool({ name: 'supply.read_notes', arguments: { topic: 'x' } }));
      assert.equal(r.code, -32010);
      assert.equal(r.reason, 'quarantined');
      assert.deepEqual(effects(t), []);
      await add(c); // twin: the clean tool of the same server works
      assert.deepEqual(effects(t), ['add']);
      const verdicts = (await t.gw.services.audit.tail(100)).filter((x) => x.kind === 'supply.verdict');
      const notes = verdicts.find((x) => x.tool === 'read_notes')!;
      assert.equal(notes.decision, 'deny');
      assert.equal((notes.data as { verdict: string }).verdict, 'malicious');
      assert.ok((notes.data as { findings: unknown[] }).findings.length > 0);
      assert.equal(verdicts.find((x) => x.tool === 'add')!.decision, 'allow');
      const pin = (await t.gw.services.supply.pins.list('supply')).find((p) => p.tool === 'read_notes')!;
      assert.equal(pin.status, 'pending', 'a malicious tool is never pinned as trusted');
    });
  });

  describe('split view', () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway({ policies: { 'p.cedar': POLICY }, yaml: yaml('split') });
    });
    after(() => t.cleanup());

    it('[RP-3] flags a server that shows another caller a different list and blocks its calls', async () => {
      const a = await t.client(await t.agent('caller-a', ['u']));
      assert.deepEqual(await names(a), ['supply.add']);
      await add(a);
      const b = await t.client(await t.agent('caller-b', ['u']));
      assert.deepEqual(await names(b), [], 'the second caller saw another list: server blocked');
      const rb = await refusal(add(b));
      assert.equal(rb.reason, 'split_view');
      const ra = await refusal(add(a));
      assert.equal(ra.reason, 'split_view', 'the flag also stops the first caller');
      assert.deepEqual(effects(t), ['add']);
      const flags = await t.gw.services.supply.pins.flags('supply');
      assert.equal(flags[0]?.reason, 'different-list-per-caller');
    });
  });

  describe('per-server settings', () => {
    let t: TestGateway;
    before(async () => {
      t = await startTestGateway({
        policies: { 'p.cedar': POLICY },
        yaml: yaml('poisoned', ['    tools:', '      first_sight: hold']),
      });
    });
    after(() => rmSync(t.dir, { recursive: true, force: true })); // the test closes the gateway

    it('[RP-2] first_sight: hold hides every new tool until approved; approval survives a restart', async () => {
      const c = await t.client(await t.agent('hold', ['u']));
      assert.deepEqual(await names(c), []);
      assert.equal((await refusal(add(c))).reason, 'pending_approval');
      const pins = t.gw.services.supply.pins;
      const p = (await pins.list('supply')).find((x) => x.tool === 'add')!;
      await pins.approve('supply', 'add', p.seenHash, 'test');
      assert.deepEqual(await names(c), ['supply.add']);
      await c.close();
      await t.gw.close();
      // A new gateway on the same data directory: the approval is in the store.
      const gw = await startGateway(loadConfig(join(t.dir, 'warden.yaml')), { watchPolicies: false });
      try {
        const rows = await gw.services.supply.pins.list('supply');
        assert.equal(rows.find((x) => x.tool === 'add')!.status, 'trusted');
        assert.equal(rows.find((x) => x.tool === 'read_notes')!.status, 'pending');
      } finally {
        await gw.close();
      }
    });
  });
});
