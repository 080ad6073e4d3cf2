import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { formatRecord, readCheckpointFile } from '../../audit/index.ts';
import { AppError } from '../../core/index.ts';
import { withAudit } from '../context.ts';
import { print, EXIT } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

class CliError extends AppError<'ERR_USAGE' | 'ERR_NOT_FOUND'> {}

export function register(program: Command): void {
  const audit = program.command('audit').description('read and verify the tamper-evident audit log');
  audit
    .command('tail')
    .description('show the last records; --follow keeps printing new ones')
    .option('-n, --lines <n>', 'how many records', '20')
    .option('-f, --follow', 'keep printing new records')
    .action(async (o: { lines: string; follow?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const n = Number(o.lines);
      if (!Number.isInteger(n) || n < 0) throw new CliError('ERR_USAGE', '--lines takes a whole number');
      await withAudit(opts, async (a) => {
        const records = await a.tail(n);
        for (const r of records)
          process.stdout.write((opts.json === true ? JSON.stringify(r) : formatRecord(r)) + '\n');
        if (o.follow !== true) return;
        const from = (records.at(-1)?.seq ?? 0) + 1;
        await new Promise<void>((resolve) => {
          const stop = a.follow(from, (r) =>
            process.stdout.write((opts.json === true ? JSON.stringify(r) : formatRecord(r)) + '\n'),
          );
          const end = (): void => {
            stop();
            resolve();
          };
          process.once('SIGINT', end);
          process.once('SIGTERM', end);
        });
      });
    });
  audit
    .command('show <seq>')
    .description('show one record in full')
    .action(async (seq: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const n = Number(seq);
      if (!Number.isSafeInteger(n) || n < 1)
        throw new CliError('ERR_USAGE', 'SEQ is a record number (1, 2, …)');
      await withAudit(opts, async (a) => {
        const r = await a.get(n);
        if (r === undefined) throw new CliError('ERR_NOT_FOUND', `no audit record #${n}`);
        print(opts, r, () => JSON.stringify(r, null, 2));
      });
    });
  audit
    .command('verify')
    .description(
      'verify the hash chain and signed checkpoints; exits non-zero and names the first bad record',
    )
    .option(
      '--checkpoint <file>',
      'also verify against checkpoints saved outside the database (detects truncation and rewrites)',
    )
    .action(async (o: { checkpoint?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withAudit(opts, async (a) => {
        const cps = o.checkpoint === undefined ? [] : readCheckpointFile(o.checkpoint);
        const r = await a.verify(cps.length === 0 ? {} : { checkpoint: cps });
        print(opts, r, () =>
          r.ok
            ? `ok: ${r.records} records verified (head ${r.head.slice(0, 19)}…, ${r.checkpoints} checkpoints${r.warnings.length > 0 ? `, ${r.warnings.length} warnings` : ''})`
            : `FAILED at record #${r.seq}: ${r.reason}`,
        );
        if (!r.ok) process.exitCode = EXIT.FAIL;
      });
    });
  audit
    .command('export')
    .description('export records as JSON lines')
    .option('--format <format>', 'jsonl (the only format)', 'jsonl')
    .option('--from <seq>', 'first record')
    .option('--to <seq>', 'last record')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (o: { format: string; from?: string; to?: string; output?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      if (o.format !== 'jsonl')
        throw new CliError('ERR_USAGE', `unknown --format ${o.format} (supported: jsonl)`);
      await withAudit(opts, async (a) => {
        const out = o.output === undefined ? process.stdout : createWriteStream(o.output, { mode: 0o600 });
        const n = await a.exportJsonl(out, {
          ...(o.from === undefined ? {} : { from: Number(o.from) }),
          ...(o.to === undefined ? {} : { to: Number(o.to) }),
        });
        if (o.output !== undefined) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(r));
        process.stderr.write(`exported ${n} records\n`);
      });
    });
}
