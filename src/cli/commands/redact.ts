import { existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { readEnv } from '../../config/index.ts';
import { openStore } from '../../store/index.ts';
import { launcherCommand, loadMasterKey } from '../../gateway/index.ts';
import { SecretStore, createRedactor, redactStream, toByteSpans } from '../../secrets/index.ts';
import type { KnownSecret, Redactor } from '../../secrets/index.ts';
import { config } from '../context.ts';
import { EXIT, print } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

/** Most stdin `warden redact --json` reads (it needs the whole text for byte spans). */
const MAX_JSON_INPUT = 64 * 1024 * 1024;

/**
 * The redactor for `warden redact`: the pattern rules, plus every value the secret store holds
 * (and env-provider values) when a warden.yaml is found, unless --patterns-only.
 */
async function redactorFor(opts: GlobalOptions, patternsOnly: boolean): Promise<Redactor> {
  if (patternsOnly || !existsSync(opts.config)) return createRedactor({ values: [], patterns: true });
  const cfg = config(opts);
  const secrets = cfg.secrets!;
  const key = await loadMasterKey(secrets, cfg.dataDir, launcherCommand());
  const sql = await openStore({ url: cfg.store.url, dataDir: cfg.dataDir });
  try {
    const known: KnownSecret[] = await (
      await SecretStore.open(sql, key, { graceMs: secrets.graceMs })
    ).redactionSet();
    for (const [name, src] of Object.entries(secrets.sources)) {
      const v = src.provider === 'env' ? readEnv(src.env ?? name) : undefined;
      if (v !== undefined) known.push({ name, value: v });
    }
    return createRedactor({ values: known, patterns: secrets.patterns });
  } finally {
    await sql.close();
  }
}

export function register(program: Command): void {
  program
    .command('redact')
    .description(
      'copy stdin to stdout with secrets replaced by [REDACTED:<rule>] (known values in every encoding, and pattern rules); --json prints findings with rule and byte spans',
    )
    .option('--patterns-only', 'use the pattern rules only (do not open the secret store)')
    .action(async (o: { patternsOnly?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const redactor = await redactorFor(opts, o.patternsOnly === true);
      if (opts.json !== true) {
        await pipeline(process.stdin, redactStream(redactor), process.stdout);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).length;
        if (size > MAX_JSON_INPUT) {
          process.stderr.write(
            `warden redact: input larger than ${MAX_JSON_INPUT} bytes; use it without --json\n`,
          );
          process.exitCode = EXIT.FAIL;
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const r = redactor.redact(text);
      print(opts, { findings: toByteSpans(text, r.findings), bytes: size }, () => r.text);
    });
}
