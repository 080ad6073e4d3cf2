/**
 * Server edge, related notifications (THREATS §1L RPC-15 "at both edges", G-FAULT-1): a
 * malicious upstream sends a deeply nested progress notification or log message while a call is
 * in flight. The client must still get its own response, and the gateway must stay up. The
 * gateway runs in its own process (as `warden gateway` does), so a crash is observed, not shared.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { postBytes } from '../../fixtures/jsonrpc/fuzz-gateway.ts';
import { rawSession } from '../../helpers/raw-mcp.ts';

const CHILD = join(import.meta.dirname, '..', '..', 'fixtures', 'jsonrpc', 'gateway-child.ts');

const enc = new TextEncoder();
const deepnote = (id: string, depth: number): Uint8Array =>
  enc.encode(
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"mal.deepnote","arguments":{"depth":${depth}},"_meta":{"progressToken":"tok"}}}`,
  );
/** SSE `data:` payloads, or the plain JSON body as a single message. */
const messages = (text: string): unknown[] =>
  (text.startsWith('event:') ? [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!) : [text]).map(
    (t) => JSON.parse(t) as unknown,
  );

describe('deep upstream notifications (THREATS RPC-15 server edge, G-FAULT-1)', () => {
  let child: ChildProcess;
  /** The tail of the gateway process's stderr: shows why it died. */
  let stderr = '';
  let g: { url: string };
  let h: Record<string, string>;
  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const started = JSON.parse(line) as { url: string; key: string };
    g = { url: started.url };
    h = await rawSession(g.url, started.key);
  });
  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('[RPC-15] relays a shallow progress notification under the client token, then the response', async () => {
    const res = await postBytes(g.url, deepnote('"shallow"', 3), h);
    const msgs = messages(res.text) as {
      method?: string;
      id?: string;
      params?: { progressToken?: string };
    }[];
    const progress = msgs.find((m) => m.method === 'notifications/progress');
    assert.equal(progress?.params?.progressToken, 'tok');
    assert.equal(msgs.filter((m) => m.id !== undefined).length, 1);
    assert.equal(msgs.at(-1)?.id, 'shallow');
  });

  it(
    '[RPC-15][G-FAULT-1] a 10^4-deep progress notification neither crashes the gateway nor loses the response',
    {
      todo: 'BUG: connection.ts #onMessage checks depth only for responses; a deep notification reaches PostResponder.send → JSON.stringify → RangeError, thrown out of the upstream stdout data handler (stdio-transport.ts #data): an uncaught exception that kills the gateway process (in-process: the rest of the chunk, including the response, is lost and the call times out with -32001)',
    },
    async () => {
      const res = await postBytes(g.url, deepnote('"deep"', 10_000), h);
      const msgs = messages(res.text) as { id?: string; result?: unknown; error?: unknown }[];
      const finals = msgs.filter((m) => m.id !== undefined);
      assert.equal(finals.length, 1, res.text.slice(0, 200));
      assert.equal(finals[0]!.id, 'deep');
      assert.notEqual(
        (finals[0]!.error as { code?: number } | undefined)?.code,
        -32001,
        'the response was lost',
      );
    },
  );

  it(
    '[G-FAULT-1] the gateway process survives and still serves afterwards',
    { todo: 'BUG: see above; the RangeError is an uncaught exception in the gateway process' },
    async () => {
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(child.exitCode, null, `the gateway process died:\n${stderr}`);
      const ping = await postBytes(g.url, enc.encode('{"jsonrpc":"2.0","id":"p","method":"ping"}'), h);
      assert.equal(ping.reply, '{"jsonrpc":"2.0","id":"p","result":{}}');
    },
  );
});
