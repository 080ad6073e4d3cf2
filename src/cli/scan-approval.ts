/**
 * Approval of the servers `warden scan` finds in MCP client configurations (THREATS LS-1, LS-4).
 * A client configuration may come with a cloned repository or a one-click install, so nothing in
 * it is started before a person has seen the exact command and approved it. An approval is kept
 * as a hash of (configuration file, server name, argv, env variable names) in the data directory;
 * any change of that entry gives a different hash and needs a new approval.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FoundServer } from './scan-sources.ts';

/** The file, in the data directory, that holds the approvals. */
export const APPROVALS_FILE = 'scan-approvals.json';

// Characters a terminal does not show as themselves: controls (ANSI escapes), format characters
// (bidi overrides, zero-width), separators, private-use, unassigned, lone surrogates, spaces
// other than U+0020 and variation selectors.
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]|(?! )\p{Zs}/gu;

/**
 * A string as a double-quoted literal that shows every character: nothing it contains can move
 * the cursor, change colours, reorder text or hide itself (`\u001b[8m` is printed as those
 * characters, not obeyed).
 */
export function quoteForTerminal(s: string): string {
  return JSON.stringify(s).replace(HIDDEN, (c) => {
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** What is approved: the argv as written in the file and the names (never values) of env. */
function approvedFields(s: FoundServer): unknown[] {
  return s.spec.kind === 'stdio'
    ? ['stdio', [s.spec.command, ...s.spec.args], Object.keys(s.spec.env).sort()]
    : ['remote', s.spec.url, Object.keys(s.spec.headers).sort()];
}

/** `sha256:<hex>` over (file, server name, argv, env names): the identity of one approval. */
export function approvalHash(s: FoundServer): string {
  const material = JSON.stringify([
    'warden-scan-approval/1',
    s.clientFile ?? '',
    s.name,
    ...approvedFields(s),
  ]);
  return `sha256:${createHash('sha256').update(material).digest('hex')}`;
}

/** The full, untruncated, escaped description shown before approval. */
export function describeForApproval(s: FoundServer, hash: string): string {
  const lines = [`${s.source} declares server ${quoteForTerminal(s.name)}:`];
  if (s.spec.kind === 'stdio') {
    lines.push(`  command: ${quoteForTerminal(s.spec.command)}`);
    s.spec.args.forEach((a, i) => lines.push(`  arg[${i}]: ${quoteForTerminal(a)}`));
    if (s.spec.args.length === 0) lines.push('  (no arguments)');
    const env = Object.keys(s.spec.env).sort();
    lines.push(`  env names: ${env.length === 0 ? '(none)' : env.map(quoteForTerminal).join(', ')}`);
    lines.push('  it will run in a bubblewrap sandbox');
  } else {
    lines.push(`  url: ${quoteForTerminal(s.spec.url)}`);
    const headers = Object.keys(s.spec.headers).sort();
    lines.push(
      `  header names: ${headers.length === 0 ? '(none)' : headers.map(quoteForTerminal).join(', ')}`,
    );
  }
  lines.push(`  approval: ${hash}`);
  return lines.join('\n');
}

interface ApprovalEntry {
  readonly file: string;
  readonly server: string;
  readonly approvedAt: string;
  readonly by: 'terminal' | 'flag';
}

/** The approvals recorded in `<dataDir>/scan-approvals.json`. */
export class ScanApprovals {
  private readonly dataDir: string;
  private readonly path: string;
  private readonly entries: Record<string, ApprovalEntry>;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.path = join(dataDir, APPROVALS_FILE);
    this.entries = {};
    if (!existsSync(this.path)) return;
    try {
      const doc = JSON.parse(readFileSync(this.path, 'utf8')) as { approvals?: unknown };
      if (typeof doc.approvals === 'object' && doc.approvals !== null)
        Object.assign(this.entries, doc.approvals as Record<string, ApprovalEntry>);
    } catch {
      // An unreadable file approves nothing: every client server is asked about again.
    }
  }

  has(hash: string): boolean {
    return Object.hasOwn(this.entries, hash);
  }

  /** Records an approval and writes the file (0600, replaced atomically). */
  record(hash: string, s: FoundServer, by: ApprovalEntry['by']): void {
    this.entries[hash] = {
      file: s.clientFile ?? '',
      server: s.name,
      approvedAt: new Date().toISOString(),
      by,
    };
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, approvals: this.entries }, null, 2) + '\n', {
      mode: 0o600,
    });
    renameSync(tmp, this.path);
  }
}
