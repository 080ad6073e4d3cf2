import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { guardToolList, pinHash, PinStore } from '../../../src/registry/index.ts';
import { openSqlite } from '../../../src/store/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));

async function connect(silent: boolean): Promise<{ client: Client; changed: () => Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', join(here, 'rug-pull-server.ts')],
    env: { PATH: process.env.PATH ?? '', RUGPULL_SILENT: silent ? '1' : '0' },
    cwd: join(here, '..', '..', '..'),
    stderr: 'ignore',
  });
  const client = new Client({ name: 'rug-pull-test', version: '0.0.0' });
  let resolveChanged: () => void = () => {};
  const changedOnce = new Promise<void>((r) => (resolveChanged = r));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    resolveChanged();
    return Promise.resolve();
  });
  await client.connect(transport);
  return { client, changed: () => changedOnce };
}

describe('rug pull against a real stdio MCP server (SQLite pin store)', () => {
  it('[RP-1] the 4th call is refused after the description changed on the 3rd; approval restores it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-rugpull-'));
    const store = openSqlite(join(dir, 'warden.db'));
    const { client, changed } = await connect(false);
    try {
      const pins = await PinStore.open(store);
      const opts = { firstSight: 'trust' as const, suspicious: 'hold' as const, callerId: 'agent' };
      let decision = await guardToolList(pins, 'math', (await client.listTools()).tools, opts);
      const callIfAllowed = async (): Promise<'called' | 'refused'> => {
        if (!decision.tools.find((t) => t.tool === 'add')?.callable) return 'refused';
        await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
        return 'called';
      };
      assert.deepEqual(
        [await callIfAllowed(), await callIfAllowed(), await callIfAllowed()],
        ['called', 'called', 'called'],
      );
      await changed();
      const listed = (await client.listTools()).tools;
      decision = await guardToolList(pins, 'math', listed, {
        ...opts,
        firstSight: 'hold',
        listChanged: true,
      });
      assert.equal(await callIfAllowed(), 'refused');
      const add = decision.tools.find((t) => t.tool === 'add')!;
      assert.equal(add.pin?.status, 'changed');
      assert.equal(add.scan.verdict, 'malicious');
      assert.match(await pins.diff('math', 'add'), /^\+.*<IMPORTANT>/m);
      // An operator who approves the new definition still cannot unlock a malicious one…
      await pins.approve('math', 'add', pinHash(listed[0]!));
      decision = await guardToolList(pins, 'math', listed, opts);
      assert.equal(await callIfAllowed(), 'refused');
      // …but an accepted pin (explicit override of the scanner) makes it callable again.
      decision = await guardToolList(pins, 'math', listed, { ...opts, acceptedPins: [pinHash(listed[0]!)] });
      assert.equal(await callIfAllowed(), 'called');
    } finally {
      await client.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('[RP-3] a server that changes its list without announcing it is flagged and blocked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-rugpull-'));
    const store = openSqlite(join(dir, 'warden.db'));
    const { client } = await connect(true);
    try {
      const pins = await PinStore.open(store);
      const opts = { firstSight: 'trust' as const, suspicious: 'hold' as const, callerId: 'agent' };
      await guardToolList(pins, 'math', (await client.listTools()).tools, opts);
      for (let i = 0; i < 3; i++) await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      const again = await guardToolList(pins, 'math', (await client.listTools()).tools, opts);
      assert.equal(again.serverBlocked, 'split-view');
      assert.equal(again.split.reason, 'changed-without-notification');
      assert.ok(again.tools.every((t) => !t.callable));
    } finally {
      await client.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
