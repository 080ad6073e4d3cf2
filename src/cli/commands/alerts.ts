import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { BaselineStore, followAlerts, formatAlert } from '../../monitor/index.ts';
import type { Alert } from '../../monitor/index.ts';
import { withStore } from '../context.ts';
import type { GlobalOptions } from '../output.ts';

function lines(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new InvalidArgumentError('a whole number from 0 to 10000');
  return n;
}

/**
 * `warden alerts`: the monitor's alerts from the store (any gateway replica writing to it),
 * oldest first; `--follow` keeps printing new ones until interrupted. With `--json`, one JSON
 * object per line (`{ seq, alert }`), so a follower can be piped.
 */
export function register(program: Command): void {
  program
    .command('alerts')
    .description('show the monitor alerts (newest last); --follow keeps printing new ones')
    .option('-n, --lines <n>', 'how many of the newest alerts to show first', lines, 50)
    .option('-f, --follow', 'keep printing new alerts until interrupted')
    .action(async (o: { lines: number; follow?: boolean }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const n = o.lines;
      const line = (seq: number, a: Alert): string =>
        opts.json === true ? JSON.stringify({ seq, alert: a }) : formatAlert(a);
      await withStore(opts, async (store) => {
        const alerts = new BaselineStore(store);
        await alerts.migrate();
        const recent = n === 0 ? [] : await alerts.recentAlerts(n);
        for (const r of recent) process.stdout.write(line(r.seq, r.alert) + '\n');
        if (o.follow !== true) {
          if (recent.length === 0 && opts.json !== true) process.stderr.write('no alerts\n');
          return;
        }
        const stop = new AbortController();
        const end = (): void => stop.abort();
        process.once('SIGINT', end);
        process.once('SIGTERM', end);
        const newest = recent.at(-1)?.seq ?? (await alerts.recentAlerts(1))[0]?.seq ?? 0;
        process.stderr.write('following new alerts (Ctrl-C to stop)\n');
        try {
          await followAlerts(alerts, {
            afterSeq: newest,
            signal: stop.signal,
            onAlert: (a, seq) => process.stdout.write(line(seq, a) + '\n'),
          });
        } finally {
          process.off('SIGINT', end);
          process.off('SIGTERM', end);
        }
      });
    });
}
