#!/usr/bin/env node
// `npm run demo`: installs dependencies if needed, builds, writes a demo configuration in demo/
// (the filesystem and memory MCP servers behind the gateway, default-deny policies that let the
// "demo" role read the workspace and use memory), creates the agent "demo-agent" once, and runs
// the gateway on http://127.0.0.1:7420/mcp until Ctrl-C. Safe to run again.
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, 'demo');
const keyFile = join(demo, 'demo-agent.key');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`demo: ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run('npm', ['ci']);
run('npm', ['run', 'build', '--silent']);
if (!existsSync(join(demo, 'warden.yaml'))) run(process.execPath, [cli, 'init', '--demo', '--dir', demo]);
if (!existsSync(keyFile)) {
  run(process.execPath, [
    cli,
    '--config',
    join(demo, 'warden.yaml'),
    'agent',
    'create',
    'demo-agent',
    '--role',
    'demo',
    '--key-file',
    keyFile,
  ]);
}
console.log(`
Warden demo
  gateway:    http://127.0.0.1:7420/mcp
  agent:      demo-agent (role demo), credential in ${keyFile}
  workspace:  ${join(demo, 'workspace')} (readable by the demo agent; writes are denied)
  try it:     claude mcp add --transport http warden http://127.0.0.1:7420/mcp --header "Authorization: Bearer $(cat ${keyFile})"
  audit log:  node ${cli} --config ${join(demo, 'warden.yaml')} audit tail --follow
`);
const gw = spawn(process.execPath, [cli, '--config', join(demo, 'warden.yaml'), 'gateway'], {
  stdio: 'inherit',
  cwd: demo,
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => gw.kill(sig));
gw.on('exit', (code) => process.exit(code ?? 0));
