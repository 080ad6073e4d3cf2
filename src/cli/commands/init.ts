import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../config/index.ts';
import { DEFAULT_SANDBOX_UID } from '../../sandbox/index.ts';
import { packageRoot } from '../paths.ts';
import { print } from '../output.ts';

export interface InitResult {
  readonly dir: string;
  readonly written: string[];
}

/** Writes a starter warden.yaml, policies/ (default deny + examples) and the data directory. */
export function initProject(dir: string, opts: { demo?: boolean; force?: boolean } = {}): InitResult {
  const root = resolve(dir);
  const configPath = join(root, 'warden.yaml');
  if (existsSync(configPath) && opts.force !== true) {
    throw new ConfigError('ERR_CONFIG_EXISTS', `${configPath} already exists (use --force to overwrite)`, {
      file: configPath,
    });
  }
  const templates = join(packageRoot(), 'templates');
  mkdirSync(join(root, 'policies'), { recursive: true });
  const written: string[] = [];
  const write = (path: string, text: string): void => {
    writeFileSync(path, text, { mode: 0o644 });
    written.push(path);
  };
  write(
    configPath,
    readFileSync(join(templates, opts.demo === true ? 'demo/warden.yaml' : 'warden.yaml'), 'utf8'),
  );
  const policyDirs = [
    join(templates, 'policies'),
    ...(opts.demo === true ? [join(templates, 'demo', 'policies')] : []),
  ];
  for (const dir of policyDirs) {
    for (const f of readdirSync(dir)) {
      const to = join(root, 'policies', f);
      if (existsSync(to) && opts.force !== true) continue;
      copyFileSync(join(dir, f), to);
      written.push(to);
    }
  }
  if (opts.demo === true) {
    mkdirSync(join(root, 'workspace'), { recursive: true });
    const readme = join(root, 'workspace', 'README.txt');
    if (!existsSync(readme))
      write(
        readme,
        'This is the demo workspace. The demo agent may read files here; writes are denied by policy.\n',
      );
    // The memory server's sandbox writes its graph here. Under root the sandbox runs as an
    // unprivileged uid (the owner of a non-root workspace), so hand the directory to it.
    const memory = join(root, 'memory');
    mkdirSync(memory, { recursive: true, mode: 0o755 });
    if (process.getuid?.() === 0) chownSync(memory, DEFAULT_SANDBOX_UID, DEFAULT_SANDBOX_UID);
  }
  mkdirSync(join(root, '.warden'), { recursive: true, mode: 0o700 });
  return { dir: root, written };
}

export function register(program: Command): void {
  program
    .command('init')
    .description(
      'write a starter warden.yaml, a default-deny policies/ folder with examples, and the data directory',
    )
    .option('--dir <dir>', 'where to write', '.')
    .option('--demo', 'a demo configuration fronting the filesystem and memory servers')
    .option('--force', 'overwrite an existing warden.yaml')
    .action((o: { dir: string; demo?: boolean; force?: boolean }, cmd: Command) => {
      const r = initProject(o.dir, { demo: o.demo ?? false, force: o.force ?? false });
      print(
        cmd.optsWithGlobals(),
        r,
        () =>
          `Wrote:\n${r.written.map((w) => `  ${w}`).join('\n')}\nNext: warden agent create NAME --role ROLE, then warden gateway --config ${join(r.dir, 'warden.yaml')}`,
      );
    });
}
