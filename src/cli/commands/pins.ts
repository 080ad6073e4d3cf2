import type { Command } from 'commander';
import { AuditLog, loadOrCreateAuditKeys } from '../../audit/index.ts';
import { AppError } from '../../core/index.ts';
import { PIN_RE, PinStore } from '../../registry/index.ts';
import type { PinRecord } from '../../registry/index.ts';
import { withStore } from '../context.ts';
import { print, table } from '../output.ts';
import type { GlobalOptions } from '../output.ts';
import type { Store } from '../../store/index.ts';
import type { WardenConfig } from '../../config/index.ts';

class PinsError extends AppError<'ERR_USAGE'> {}

const short = (h: string | null): string => (h === null ? '-' : `${h.slice(0, 19)}…`);

function row(p: PinRecord): string[] {
  return [
    p.server,
    p.tool,
    p.changed ? 'changed' : p.status,
    short(p.approvedHash),
    p.seenHash,
    p.decidedBy ?? '-',
  ];
}

/** Opens the pin store (and the audit log, for decisions) of the gateway's store. */
async function withPins<T>(
  opts: GlobalOptions,
  fn: (pins: PinStore, record: (kind: string, data: Record<string, unknown>) => Promise<void>) => Promise<T>,
): Promise<T> {
  return withStore(opts, async (store: Store, cfg: WardenConfig) => {
    const pins = await PinStore.open(store);
    let audit: AuditLog | undefined;
    try {
      return await fn(pins, async (kind, data) => {
        audit ??= await AuditLog.open(store, {
          keys: loadOrCreateAuditKeys(cfg.dataDir),
          verifyTailOnOpen: 0,
          checkpointLog: false,
        });
        await audit.append({
          kind,
          principal: 'operator',
          server: data.server as string,
          tool: data.tool as string,
          data,
        });
      });
    } finally {
      await audit?.close();
    }
  });
}

/**
 * `warden pins`: review and decide on tool pins (THREATS RP-1…RP-3). Pins live in the gateway's
 * store, so a decision takes effect on the gateway's next call without a restart.
 */
export function register(program: Command): void {
  const pins = program
    .command('pins')
    .description('review tool pins: what changed, approve or reject (rug-pull defence)');
  pins
    .command('list [server]')
    .description('pins with status (trusted, pending, rejected, changed), approved and current hashes')
    .action(async (server: string | undefined, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p) => {
        const rows = await p.list(server);
        print(opts, rows, () =>
          rows.length === 0
            ? 'no pins yet (the gateway pins tools when it first lists them)'
            : table([['SERVER', 'TOOL', 'STATUS', 'APPROVED', 'CURRENT', 'DECIDED BY'], ...rows.map(row)]),
        );
      });
    });
  pins
    .command('diff <server> <tool>')
    .description('the approved definition against the one last seen, as a line diff (- old, + new)')
    .action(async (server: string, tool: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p) => {
        const text = await p.diff(server, tool);
        const rec = (await p.list(server)).find((r) => r.tool === tool)!;
        print(opts, { server, tool, approved: rec.approvedHash, current: rec.seenHash, diff: text }, () =>
          [text.trimEnd(), '', `approve with: warden pins approve ${server} ${tool} ${rec.seenHash}`].join(
            '\n',
          ),
        );
      });
    });
  pins
    .command('approve <server> <tool> <hash>')
    .description(
      'approve the definition last seen, named by its hash (from `pins diff`); refused if it changed since',
    )
    .action(async (server: string, tool: string, hash: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      if (!PIN_RE.test(hash))
        throw new PinsError('ERR_USAGE', 'HASH is the sha256:<64 hex> shown by `warden pins diff`');
      await withPins(opts, async (p, record) => {
        await p.approve(server, tool, hash, 'operator');
        await record('pins.approved', { server, tool, hash });
        print(opts, { server, tool, status: 'trusted', hash }, () => `approved ${server}.${tool} ${hash}`);
      });
    });
  pins
    .command('reject <server> <tool>')
    .description('reject a tool: it stays blocked, whatever it becomes, until approved')
    .action(async (server: string, tool: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p, record) => {
        await p.reject(server, tool, 'operator');
        await record('pins.rejected', { server, tool });
        print(opts, { server, tool, status: 'rejected' }, () => `rejected ${server}.${tool}`);
      });
    });
  pins
    .command('flags')
    .description('servers flagged for showing different tool lists to different callers (split view)')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p) => {
        const flags = await p.flags();
        print(opts, flags, () =>
          flags.length === 0
            ? 'no open flags'
            : table([
                ['ID', 'SERVER', 'REASON', 'CALLER', 'EXPECTED', 'OBSERVED'],
                ...flags.map((f) => [
                  String(f.id),
                  f.server,
                  f.reason,
                  f.callerId,
                  short(f.expectedHash),
                  short(f.observedHash),
                ]),
              ]),
        );
      });
    });
  pins
    .command('clear <server>')
    .description("clear a server's split-view flags after review (the gateway unblocks it)")
    .option('--accept <hash>', 'make this list hash (from `pins flags`) the expected one')
    .action(async (server: string, o: { accept?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      if (o.accept !== undefined && !PIN_RE.test(o.accept))
        throw new PinsError('ERR_USAGE', '--accept takes a sha256:<64 hex> list hash');
      await withPins(opts, async (p, record) => {
        // Flags are kept per server and relayed client capabilities (`fs`, `fs+sampling`).
        const keys = [
          ...new Set(
            (await p.flags()).map((f) => f.server).filter((k) => k === server || k.startsWith(`${server}+`)),
          ),
        ];
        let n = 0;
        for (const k of keys) n += await p.clearFlags(k, k === server ? o.accept : undefined);
        await record('pins.flags_cleared', { server, cleared: n });
        print(opts, { server, cleared: n }, () => `cleared ${n} flag(s) of ${server}`);
      });
    });
}
