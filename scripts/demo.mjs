#!/usr/bin/env node
// `npm run demo`: installs dependencies if needed, builds, writes a demo configuration in demo/
// (the filesystem and memory MCP servers behind the gateway, default-deny policies that let the
// "demo" role read the workspace and use memory), creates the agent "demo-agent" once, and runs
// the gateway on http://127.0.0.1:7420/mcp until Ctrl-C. Safe to run again.
// The demo servers run in bubblewrap sandboxes: as root with apt-get, bubblewrap is installed
// if missing; otherwise the script prints the install command and exits 1.
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
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

const isRoot = process.getuid?.() === 0;
const SANDBOX_UID = 65534;

/** bubblewrap is what isolates the demo servers: install it (root + apt-get) or say how. */
function ensureBubblewrap() {
  if (existsSync('/usr/bin/bwrap')) return;
  const apt = existsSync('/usr/bin/apt-get');
  if (isRoot && apt) {
    console.error('demo: installing bubblewrap (the sandbox for the demo servers)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', 'bubblewrap'], { env });
    return;
  }
  const cmd = apt ? 'sudo apt-get install -y bubblewrap' : 'sudo dnf install -y bubblewrap';
  console.error(
    `demo: bubblewrap is not installed; the demo servers run in its sandboxes. Install it with:\n  ${cmd}`,
  );
  process.exit(1);
}

/** Under root the sandboxes run as uid 65534, which must be able to reach this checkout. */
function ensureReachable() {
  if (!isRoot) return;
  for (let d = root; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      console.error(
        `demo: the sandboxes run as uid ${SANDBOX_UID} (nobody), which cannot enter ${d} (mode ${(statSync(d).mode & 0o777).toString(8)}).\n` +
          `  Clone Warden under a directory others may enter (e.g. /opt/warden), or run: chmod o+x ${d}`,
      );
      process.exit(1);
    }
    if (dirname(d) === d) return;
  }
}

/** A demo written before the servers were sandboxed: new config, old one kept, memory moved. */
function upgradeDemo() {
  const yaml = join(demo, 'warden.yaml');
  if (!existsSync(yaml) || readFileSync(yaml, 'utf8').includes('sandbox:')) return;
  renameSync(yaml, `${yaml}.pre-sandbox`);
  copyFileSync(join(root, 'templates', 'demo', 'warden.yaml'), yaml);
  console.error(`demo: updated ${yaml} (servers now sandboxed); the old file is ${yaml}.pre-sandbox`);
  const memory = join(demo, 'memory');
  mkdirSync(memory, { recursive: true });
  if (isRoot) chownSync(memory, SANDBOX_UID, SANDBOX_UID);
  const old = join(demo, '.warden', 'memory.jsonl');
  if (existsSync(old) && !existsSync(join(memory, 'memory.jsonl'))) {
    copyFileSync(old, join(memory, 'memory.jsonl'));
    if (isRoot) chownSync(join(memory, 'memory.jsonl'), SANDBOX_UID, SANDBOX_UID);
  }
}

ensureBubblewrap();
ensureReachable();
if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run('npm', ['ci']);
run('npm', ['run', 'build', '--silent']);
upgradeDemo();
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
  sandboxes:  each server runs in its own bubblewrap sandbox (check: node ${cli} doctor)
  try it:     claude mcp add --transport http warden http://127.0.0.1:7420/mcp --header "Authorization: Bearer $(cat ${keyFile})"
  audit log:  node ${cli} --config ${join(demo, 'warden.yaml')} audit tail --follow
`);
const gw = spawn(process.execPath, [cli, '--config', join(demo, 'warden.yaml'), 'gateway'], {
  stdio: 'inherit',
  cwd: demo,
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => gw.kill(sig));
gw.on('exit', (code) => process.exit(code ?? 0));
