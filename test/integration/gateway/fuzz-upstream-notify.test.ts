/**
 * Server edge, lines that are not responses (THREATS §1L "at both edges", RPC-15, G-FAULT-1): a
 * malicious upstream sends a deeply nested progress notification, or a bare `null` line, while a
 * call is in flight. The client must still get its own response, and the gateway must stay up.
 * Each case runs the gateway in its own process (as `warden gateway` does), so a crash is
 * observed by the test instead of taking the test runner down with it.
 */
import { describe, it } from 'node:test';
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
const PING = enc.encode('{"jsonrpc":"2.0","id":"p","method":"ping"}');
const deepnote = (id: string, depth: number): Uint8Array =>
  enc.encode(
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"mal.deepnote","arguments":{"depth":${depth}},"_meta":{"progressToken":"tok"}}}`,
  );
const rawLine = (id: string, line: string): Uint8Array =>
  enc.encode(
    `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"mal.raw","arguments":{"line":${JSON.stringify(line)}}}}`,
  );
/** SSE `data:` payloads, or the plain JSON body as a single message. */
const messages = (text: string): { id?: string; method?: string; params?: { progressToken?: string } }[] =>
  (text.startsWith('event:') ? [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!) : [text]).map(
    (t) => JSON.parse(t) as { id?: string },
  );

interface GatewayProcess {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly child: ChildProcess;
  /** The tail of the gateway's stderr: shows why it died. */
  stderr(): string;
  stop(): Promise<void>;
}

async function gatewayProcess(): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-2000)));
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { url, key } = JSON.parse(line) as { url: string; key: string };
  return {
    url,
    headers: await rawSession(url, key),
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** One call, then: the reply is exactly one response with the call's id, and the process still serves. */
async function survives(g: GatewayProcess, body: Uint8Array, id: string): Promise<void> {
  let text: string;
  try {
    text = (await postBytes(g.url, body, g.headers)).text;
  } catch (e) {
    await new Promise((r) => setTimeout(r, 200));
    assert.fail(`no answer (${(e as Error).message}); exit ${g.child.exitCode}:\n${g.stderr()}`);
  }
  const finals = messages(text).filter((m) => m.id !== undefined);
  assert.deepEqual(
    finals.map((m) => m.id),
    [id],
    text.slice(0, 200),
  );
  const ping = await postBytes(g.url, PING, g.headers);
  assert.equal(ping.reply, '{"jsonrpc":"2.0","id":"p","result":{}}');
}

describe('upstream lines that are not responses (THREATS RPC-15 server edge, G-FAULT-1)', () => {
  it('[RPC-15] relays a shallow progress notification under the client token, then the response', async () => {
    const g = await gatewayProcess();
    try {
      const res = await postBytes(g.url, deepnote('"shallow"', 3), g.headers);
      const msgs = messages(res.text);
      assert.equal(msgs.find((m) => m.method === 'notifications/progress')?.params?.progressToken, 'tok');
      assert.deepEqual(
        msgs.filter((m) => m.id !== undefined).map((m) => m.id),
        ['shallow'],
      );
      await survives(g, rawLine('"plain"', '{"jsonrpc":"2.0","method":"notifications/message"}'), 'plain');
    } finally {
      await g.stop();
    }
  });

  it('[RPC-15][G-FAULT-1] a 10^4-deep progress notification neither kills the gateway nor loses the response', async () => {
    const g = await gatewayProcess();
    try {
      await survives(g, deepnote('"deep"', 10_000), 'deep');
    } finally {
      await g.stop();
    }
  });

  it('[G-FAULT-1] a bare null line from the upstream neither kills the gateway nor loses the response', async () => {
    const g = await gatewayProcess();
    try {
      await survives(g, rawLine('"null-line"', 'null'), 'null-line');
    } finally {
      await g.stop();
    }
  });
});
