#!/usr/bin/env node
// `npm run conformance`: runs the official MCP conformance suite (server scenarios) against the
// Warden gateway fronting test/fixtures/conformance/server.mjs, with policy and durable audit on.
// The suite takes a URL and sends no credential, so a loopback relay in front of the gateway adds
// the test agent's bearer token and passes every other header (Host, Origin) through unchanged.
// Needs Node 22 for the suite itself: it runs under `npx -p node@22`.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(root, 'dist', 'src', p);
const { loadConfig } = await import(dist('config/index.js'));
const { startGateway } = await import(dist('gateway/index.js'));
const SUITE = process.env.WARDEN_CONFORMANCE_VERSION ?? '0.1.16';

const relay = createServer();
await new Promise((r) => relay.listen(0, '127.0.0.1', r));
const relayPort = relay.address().port;

const dir = mkdtempSync(join(tmpdir(), 'warden-conformance-'));
mkdirSync(join(dir, 'policies'));
writeFileSync(
  join(dir, 'policies', 'conformance.cedar'),
  '@id("conformance-all")\npermit (principal in Warden::Role::"conformance", action, resource in Warden::Server::"conformance");\n',
);
writeFileSync(
  join(dir, 'warden.yaml'),
  `version: 1
gateway:
  listen: 127.0.0.1:0
  allowed_hosts: ["127.0.0.1:${relayPort}", "localhost:${relayPort}"]
identity:
  max_token_ttl: 1h
servers:
  conformance:
    command: ${process.execPath}
    args: ["${join(root, 'test', 'fixtures', 'conformance', 'server.mjs')}"]
    prefix: false
`,
);
const gw = await startGateway(loadConfig(join(dir, 'warden.yaml')), { watchPolicies: false });
const { agent } = await gw.registry.create({ name: 'conformance', roles: ['conformance'] });
// An access token whose grant covers the whole server (policy decides, as for any agent).
const credential = await gw.identity.tokens.issue({
  agentId: agent.id,
  grant: { id: 'grt_conformance', tools: { conformance: ['*'] }, expiresAt: Number.MAX_SAFE_INTEGER },
  ttlSec: 3600,
});
const target = new URL(gw.url);

const debug = process.env.WARDEN_CONFORMANCE_DEBUG === '1';
relay.on('request', (req, res) => {
  if (debug) console.error(`relay ${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
  const up = request(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, authorization: `Bearer ${credential.token}` },
    },
    (r) => {
      if (debug) console.error(`relay <- ${r.statusCode} ${JSON.stringify(r.headers)}`);
      res.writeHead(r.statusCode ?? 502, r.headers);
      res.flushHeaders();
      r.pipe(res);
    },
  );
  up.on('error', () => res.destroy());
  req.pipe(up);
});

const out = join(dir, 'results');
console.error(`gateway ${gw.url}, relay http://127.0.0.1:${relayPort}/mcp, results in ${out}`);
if (process.env.WARDEN_CONFORMANCE_HOLD === '1') {
  console.error(`holding: try http://127.0.0.1:${relayPort}/mcp key ${credential.token}`);
  await new Promise(() => {});
}
// Asynchronous on purpose: the gateway and the relay run in this process's event loop.
const child = spawn(
  'npx',
  [
    '-y',
    '-p',
    'node@22',
    '-p',
    `@modelcontextprotocol/conformance@${SUITE}`,
    'conformance',
    'server',
    '--url',
    `http://127.0.0.1:${relayPort}/mcp`,
    '-o',
    out,
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    cwd: dir,
  },
);
const status = await new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
await gw.close();
relay.close();
process.exit(status);
