import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { AuditLog, loadOrCreateAuditKeys } from '../../audit/index.ts';
import { AppError } from '../../core/index.ts';
import { PIN_RE, PinStore, RegistryError } from '../../registry/index.ts';
import type { PinKind, PinRecord } from '../../registry/index.ts';
import { ITEM_KINDS } from '../../scan/index.ts';
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
    p.kind,
    p.tool,
    p.changed ? 'changed' : p.status,
    short(p.approvedHash),
    p.seenHash,
    p.decidedBy ?? '-',
  ];
}

/** commander parser for --kind: a usage error (exit 2) names the accepted values. */
function kindOption(v: string): PinKind {
  if (!(ITEM_KINDS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`takes one of ${ITEM_KINDS.join(', ')}`);
  return v as PinKind;
}

/**
 * The kind of the pin named by SERVER and NAME: `--kind` when given; otherwise the only kind
 * pinned under that name (tools, prompts, resources and templates have separate namespaces),
 * and a usage error naming the kinds when the name is pinned as more than one.
 */
async function kindOf(
  p: PinStore,
  server: string,
  key: string,
  given: PinKind | undefined,
): Promise<PinKind> {
  if (given !== undefined) return given;
  const kinds = (await p.list(server)).filter((r) => r.tool === key).map((r) => r.kind);
  if (kinds.length === 0)
    throw new RegistryError(
      'ERR_PIN_NOT_FOUND',
      `no pin for ${server} ${key} (see \`warden pins list ${server}\`)`,
      {
        server,
        tool: key,
      },
    );
  if (kinds.length > 1)
    throw new PinsError(
      'ERR_USAGE',
      `${server} ${key} is pinned as ${kinds.join(' and ')}: pass --kind ${kinds.join('|')}`,
    );
  return kinds[0]!;
}

/** A shell word for the approve hint (resource URIs may hold characters the shell reads). */
function shellWord(s: string): string {
  return /^[\w.:/@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
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
    .description(
      'review pins of tools, prompts and resources: what changed, approve or reject (rug-pull defence)',
    );
  pins
    .command('list [server]')
    .description(
      'pins of tools, prompts, resources and resource templates with status (trusted, pending, rejected, changed), approved and current hashes',
    )
    .option('--kind <kind>', `only pins of one kind: ${ITEM_KINDS.join(', ')}`, kindOption)
    .action(async (server: string | undefined, o: { kind?: PinKind }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p) => {
        const rows = await p.list(server, o.kind);
        print(opts, rows, () =>
          rows.length === 0
            ? 'no pins yet (the gateway pins tools, prompts and resources when it first lists them)'
            : table([
                ['SERVER', 'KIND', 'NAME', 'STATUS', 'APPROVED', 'CURRENT', 'DECIDED BY'],
                ...rows.map(row),
              ]),
        );
      });
    });
  const kindHelp = `tool (default), prompt, resource or resource-template; needed only when NAME is pinned as more than one kind`;
  pins
    .command('diff <server> <name>')
    .description(
      'the approved definition against the one last seen, as a line diff (- old, + new); NAME is a tool or prompt name, a resource URI or a URI template',
    )
    .option('--kind <kind>', kindHelp, kindOption)
    .action(async (server: string, tool: string, o: { kind?: PinKind }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p) => {
        const kind = await kindOf(p, server, tool, o.kind);
        const text = await p.diff(server, tool, kind);
        const rec = (await p.list(server, kind)).find((r) => r.tool === tool)!;
        const approve = `warden pins approve ${shellWord(server)} ${shellWord(tool)} ${rec.seenHash}${kind === 'tool' ? '' : ` --kind ${kind}`}`;
        print(
          opts,
          { server, kind, tool, approved: rec.approvedHash, current: rec.seenHash, diff: text },
          () => [text.trimEnd(), '', `approve with: ${approve}`].join('\n'),
        );
      });
    });
  pins
    .command('approve <server> <name> <hash>')
    .description(
      'approve the definition last seen, named by its hash (from `pins diff`); refused if it changed since',
    )
    .option('--kind <kind>', kindHelp, kindOption)
    .action(async (server: string, tool: string, hash: string, o: { kind?: PinKind }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      if (!PIN_RE.test(hash))
        throw new PinsError('ERR_USAGE', 'HASH is the sha256:<64 hex> shown by `warden pins diff`');
      await withPins(opts, async (p, record) => {
        const kind = await kindOf(p, server, tool, o.kind);
        await p.approve(server, tool, hash, 'operator', kind);
        await record('pins.approved', { server, tool, hash, kind });
        print(opts, { server, kind, tool, status: 'trusted', hash }, () =>
          kind === 'tool'
            ? `approved ${server}.${tool} ${hash}`
            : `approved ${server} ${kind} ${tool} ${hash}`,
        );
      });
    });
  pins
    .command('reject <server> <name>')
    .description(
      'reject a tool, prompt, resource or template: it stays blocked, whatever it becomes, until approved',
    )
    .option('--kind <kind>', kindHelp, kindOption)
    .action(async (server: string, tool: string, o: { kind?: PinKind }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      await withPins(opts, async (p, record) => {
        const kind = await kindOf(p, server, tool, o.kind);
        await p.reject(server, tool, 'operator', kind);
        await record('pins.rejected', { server, tool, kind });
        print(opts, { server, kind, tool, status: 'rejected' }, () =>
          kind === 'tool' ? `rejected ${server}.${tool}` : `rejected ${server} ${kind} ${tool}`,
        );
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
