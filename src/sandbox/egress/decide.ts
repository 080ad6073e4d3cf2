import { lookup } from 'node:dns/promises';
import { blockedAddressReason } from './ip-policy.ts';
import { canonicalHost, matchHost, portAllowed } from './host-rules.ts';
import type { EgressRule } from './host-rules.ts';

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export type Verdict =
  | {
      readonly allowed: true;
      readonly host: string;
      readonly port: number;
      readonly address: string;
      readonly reason: string;
    }
  | { readonly allowed: false; readonly host: string; readonly port: number; readonly reason: string };

export interface DecideInput {
  readonly rules: readonly EgressRule[];
  readonly extraPorts: readonly number[];
  readonly resolve: Resolver;
  /** Host interface addresses (refused unless named by an IP rule). */
  readonly ownAddresses?: ReadonlySet<string> | undefined;
}

/**
 * Decides one connection: canonicalise → allow-list → port → (only then) resolve → refuse
 * special addresses unless the rule names that exact IP → the address to dial (pinned).
 */
export async function decide(input: DecideInput, rawHost: string, port: number): Promise<Verdict> {
  const c = canonicalHost(rawHost);
  const shown = c.ok ? c.host : rawHost.replace(/[^\x21-\x7e]/g, '?').slice(0, 100);
  if (!c.ok) return { allowed: false, host: shown, port, reason: c.reason };
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return { allowed: false, host: shown, port, reason: 'invalid-port' };
  const rule = matchHost(input.rules, c.host, c.isIp);
  if (!rule) return { allowed: false, host: shown, port, reason: 'not-allow-listed' };
  if (!portAllowed(rule, port, input.extraPorts))
    return { allowed: false, host: shown, port, reason: 'port-not-allowed' };
  if (rule.kind === 'ip') return { allowed: true, host: shown, port, address: c.host, reason: 'ip-rule' };
  let addrs: string[];
  try {
    addrs = await input.resolve(c.host);
  } catch {
    return { allowed: false, host: shown, port, reason: 'dns-failed' };
  }
  if (addrs.length === 0) return { allowed: false, host: shown, port, reason: 'dns-failed' };
  for (const a of addrs) {
    const why = blockedAddressReason(a, input.ownAddresses);
    if (why) return { allowed: false, host: shown, port, reason: `resolves-to-${why}` };
  }
  return {
    allowed: true,
    host: shown,
    port,
    address: addrs[0] ?? '',
    reason: rule.kind === 'exact' ? 'exact-rule' : 'suffix-rule',
  };
}
