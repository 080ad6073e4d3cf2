import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../../core/index.ts';
import { readEnv } from '../../config/index.ts';
import type { WardenConfig } from '../../config/index.ts';
import { openStore } from '../../store/index.ts';
import { launcherCommand, loadMasterKey } from '../../gateway/index.ts';
import { SecretStore, countOccurrences } from '../../secrets/index.ts';
import type { KnownSecret, OccurrenceCount, SecretInfo } from '../../secrets/index.ts';
import { config } from '../context.ts';
import { EXIT, collect, print, table } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

class CliError extends AppError<'ERR_USAGE' | 'ERR_NOT_FOUND'> {}

const MAX_VALUE = 64 * 1024;

/** Opens the secret store under the configured master key (a wrong key changes nothing). */
async function withSecretStore<T>(
  opts: GlobalOptions,
  fn: (s: SecretStore, cfg: WardenConfig, sql: Awaited<ReturnType<typeof openStore>>) => Promise<T>,
): Promise<T> {
  const cfg = config(opts);
  const secrets = cfg.secrets;
  if (secrets === undefined) throw new TypeError('configuration without a secrets section');
  const key = await loadMasterKey(secrets, cfg.dataDir, launcherCommand());
  const sql = await openStore({ url: cfg.store.url, dataDir: cfg.dataDir });
  try {
    const store = await SecretStore.open(sql, key, { graceMs: secrets.graceMs });
    return await fn(store, cfg, sql);
  } finally {
    await sql.close();
  }
}

/** Reads a value from the terminal without echo, or from stdin when it is not a terminal. */
async function readValue(name: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write(`value for ${name} (not echoed): `);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const value = await new Promise<string>((resolve, reject) => {
      let v = '';
      const onData = (s: string): void => {
        for (const ch of s) {
          if (ch === '\r' || ch === '\n') return done(resolve, v);
          if (ch === '\u0003') return done(() => reject(new CliError('ERR_USAGE', 'cancelled')), v);
          if (ch === '\u007f') v = v.slice(0, -1);
          else v += ch;
        }
      };
      const done = (f: (x: string) => void, x: string): void => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        process.stderr.write('\n');
        f(x);
      };
      stdin.on('data', onData);
    });
    return value;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin) {
    size += (c as Buffer).length;
    if (size > MAX_VALUE) throw new CliError('ERR_USAGE', `a secret value is at most ${MAX_VALUE} bytes`);
    chunks.push(c as Buffer);
  }
  const v = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (v.length === 0) throw new CliError('ERR_USAGE', 'no value on stdin (pipe it in, or run in a terminal)');
  return v;
}

function row(i: SecretInfo): string[] {
  return [
    i.name,
    String(i.version),
    i.fingerprint.slice(0, 27) + '…',
    new Date(i.createdAt).toISOString(),
    i.lastRotatedAt === null ? '-' : new Date(i.lastRotatedAt).toISOString(),
    String(i.graceVersions),
  ];
}

const NO_ARGV =
  'the value is read from the terminal (not echoed) or from stdin, never from the command line (it would land in shell history and ps)';

export function register(program: Command): void {
  const secret = program
    .command('secret')
    .description('manage the encrypted secret store (values are never printed)');
  secret
    .command('set <name>')
    .description(`store a new secret; ${NO_ARGV}`)
    .allowExcessArguments(false)
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withSecretStore(opts, async (s) => {
        const info = await s.set(name, await readValue(name));
        print(opts, info, () => `stored ${info.name} (version ${info.version}, ${info.fingerprint})`);
      });
    });
  secret
    .command('rotate <name>')
    .description(
      `store a new version; the old one stays redacted for the grace period. ${NO_ARGV}; --run uses the configured rotate_command`,
    )
    .option('--run', "run the secret's rotate_command for the new value")
    .allowExcessArguments(false)
    .action(async (name: string, o: { run?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withSecretStore(opts, async (s, cfg) => {
        let value: string;
        if (o.run === true) {
          const rc = cfg.secrets?.sources[name]?.rotateCommand;
          if (rc === undefined)
            throw new CliError('ERR_USAGE', `secret ${name} has no rotate_command in the configuration`);
          value = (await launcherCommand()([rc.command, ...rc.args])).replace(/\r?\n$/, '');
        } else value = await readValue(name);
        const info = await s.rotate(name, value);
        print(opts, info, () => `rotated ${info.name} to version ${info.version} (${info.fingerprint})`);
      });
    });
  secret
    .command('list')
    .description('names, versions, fingerprints and rotation times (never values)')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withSecretStore(opts, async (s, cfg) => {
        const stored = await s.list();
        const external = Object.entries(cfg.secrets?.sources ?? {})
          .filter(([, src]) => src.provider !== 'store')
          .map(([name, src]) => ({ name, provider: src.provider }));
        print(opts, { secrets: stored, external }, () =>
          [
            table([
              ['NAME', 'VERSION', 'FINGERPRINT', 'CREATED', 'LAST ROTATION', 'IN GRACE'],
              ...stored.map(row),
            ]),
            ...external.map((e) => `${e.name}: from the ${e.provider} provider (not stored)`),
          ].join('\n'),
        );
      });
    });
  secret
    .command('rm <name>')
    .description('delete every version of a secret')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withSecretStore(opts, async (s) => {
        if (!(await s.rm(name))) throw new CliError('ERR_NOT_FOUND', `no secret named ${name}`);
        print(opts, { removed: name }, () => `removed ${name}`);
      });
    });
  secret
    .command('verify')
    .description(
      'canary report: how often any secret or canary appears in audit rows, log files and agent transcripts (target 0; exit 1 otherwise)',
    )
    .option('--log <file>', 'a gateway log file to search (repeatable)', collect, [])
    .option('--transcript <file>', 'a file of agent-visible output to search (repeatable)', collect, [])
    .action(async (o: { log: string[]; transcript: string[] }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withSecretStore(opts, async (s, cfg, sql) => {
        const known: KnownSecret[] = await s.redactionSet();
        for (const [name, src] of Object.entries(cfg.secrets?.sources ?? {})) {
          const v = src.provider === 'env' ? readEnv(src.env ?? name) : undefined;
          if (v !== undefined) known.push({ name, value: v });
        }
        const rows = await sql
          .query<{ body: string }>('SELECT body FROM audit_records')
          .catch(() => [] as { body: string }[]);
        const report: Record<string, OccurrenceCount> = {
          audit: countOccurrences(
            rows.map((r) => String(r.body)),
            known,
          ),
          logs: countOccurrences(
            o.log.map((f) => readFileSync(f, 'utf8')),
            known,
          ),
          transcripts: countOccurrences(
            o.transcript.map((f) => readFileSync(f, 'utf8')),
            known,
          ),
        };
        const total = Object.values(report).reduce((n, c) => n + c.total, 0);
        const result = {
          total,
          secrets: known.length,
          canaries: known.filter((k) => /^CANARY_\d+$/.test(k.name)).length,
          searched: { auditRows: rows.length, logs: o.log.length, transcripts: o.transcript.length },
          report,
        };
        print(opts, result, () =>
          [
            `searched ${rows.length} audit rows, ${o.log.length} log files, ${o.transcript.length} transcripts for ${known.length} secrets (${result.canaries} canaries) in every encoding`,
            ...Object.entries(report).map(
              ([where, c]) =>
                `${where}: ${c.total}${
                  c.total > 0
                    ? ` (${Object.entries(c.byName)
                        .map(([n, k]) => `${n}×${k}`)
                        .join(', ')})`
                    : ''
                }`,
            ),
            total === 0 ? 'OK: zero occurrences' : `LEAK: ${total} occurrences`,
          ].join('\n'),
        );
        if (total > 0) process.exitCode = EXIT.FAIL;
      });
    });
}
