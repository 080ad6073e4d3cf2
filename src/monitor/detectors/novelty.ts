/** Novelty detectors: first-time tool, resource out of scope or grant, new egress host. */
import { isLearning, toolKey } from '../baseline.ts';
import type { AgentBaseline, ParamProfile } from '../baseline.ts';
import { argFeatures, isSensitivePath, pathPrefix } from '../args.ts';
import { own } from '../stats.ts';
import type { Detection, GrantRefusal, MonitorEvent } from '../types.ts';
import type { MonitorConfig } from '../schema.ts';
import { printable } from '../inspect/inspect.ts';
import type { Detector } from './types.ts';
import { seqs } from './types.ts';

export const firstTool: Detector = (e, b, _s, c) => {
  if (e.tool === undefined || e.method === 'egress') return null;
  if (isLearning(b, c.learning, e.time) || b.toolsOverflow) return null;
  const key = toolKey(e);
  if (own(b.tools, key)) return null;
  return {
    detector: 'first-tool',
    severity: 'medium',
    message: `agent ${e.agent} called ${key} for the first time (known tools: ${Object.keys(b.tools).length})`,
    dedupKey: `first-tool:${e.agent}:${key}`,
    auditSeqs: seqs(e.seq),
  };
};

export const newEgress: Detector = (e, b, _s, c) => {
  if (e.method !== 'egress' || !e.egressHost) return null;
  const host = e.egressHost.toLowerCase();
  if (e.grant?.hosts && !e.grant.hosts.some((h) => hostMatches(host, h))) {
    return egressAlert(e, host, 'high', 'outside its grant');
  }
  if (isLearning(b, c.learning, e.time) || own(b.egressHosts, host) !== undefined) return null;
  if (Object.keys(b.egressHosts).length >= c.limits.maxHosts) return null;
  return egressAlert(e, host, 'medium', 'never seen before');
};

function egressAlert(e: MonitorEvent, host: string, severity: 'medium' | 'high', why: string): Detection {
  return {
    detector: 'new-egress',
    severity,
    message: `agent ${e.agent} egress to ${host}: ${why}`,
    dedupKey: `new-egress:${e.agent}:${host}`,
    auditSeqs: seqs(e.seq),
  };
}

/** `host` equals `pattern` or is a subdomain of it (`.example.com` or `example.com`). */
export function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase().replace(/^\*?\./, '');
  return host === p || host.endsWith('.' + p);
}

export const outOfScope: Detector = (e, b, _s, c) => {
  if (e.tool === undefined || e.method === 'egress') return null;
  const cfg = c.detectors['out-of-scope'];
  const learning = isLearning(b, c.learning, e.time);
  // While learning only a grant's paths and hosts are checked: without them nothing can fire.
  if (learning && e.grant?.paths === undefined && e.grant?.hosts === undefined) return null;
  const tool = own(b.tools, toolKey(e));
  for (const f of argFeatures(e.args)) {
    const p = tool ? own(tool.params, f.param) : undefined;
    if (f.path !== undefined) {
      if (e.grant?.paths && !e.grant.paths.some((g) => underPath(f.path!, g))) {
        return scopeAlert(e, f.path, 'high', 'outside its grant');
      }
      if (!learning && pathNovel(f.path, p, b, cfg))
        return scopeAlert(e, f.path, 'medium', 'outside its history');
    }
    if (f.host !== undefined) {
      if (e.grant?.hosts && !e.grant.hosts.some((h) => hostMatches(f.host!, h))) {
        return scopeAlert(e, f.host, 'high', 'outside its grant');
      }
      if (!learning && hostNovel(f.host, p, b, cfg))
        return scopeAlert(e, f.host, 'medium', 'never seen before');
    }
  }
  return null;
};

/**
 * A call the task grant refused (a tool, a path, a host or a value outside the grant): the
 * agent probed outside its scope. Not a baseline question, so learning does not silence it.
 * One alert per agent, tool and parameter within the de-duplication window.
 */
export function outOfGrant(e: MonitorEvent, r: GrantRefusal): Detection {
  // a resource's name is the URI the client asked for: bounded and printable
  const key = printable(toolKey(e).slice(0, 200));
  const what = r.param === undefined ? key : `${key} (${r.param})`;
  return {
    detector: 'out-of-scope',
    severity: 'high',
    message: `agent ${e.agent} was refused ${what} by grant ${r.grantId}: ${r.reason}`,
    dedupKey: `out-of-scope:${e.agent}:grant:${key}${r.param === undefined ? '' : `:${r.param}`}`,
    auditSeqs: seqs(e.seq),
  };
}

function scopeAlert(e: MonitorEvent, what: string, severity: 'medium' | 'high', why: string): Detection {
  return {
    detector: 'out-of-scope',
    severity,
    message: `agent ${e.agent} used ${what} in ${toolKey(e)}: ${why}`,
    dedupKey: `out-of-scope:${e.agent}:${what}`,
    auditSeqs: seqs(e.seq),
  };
}

export function underPath(path: string, root: string): boolean {
  const r = root.replace(/\/+$/, '');
  return r === '' || path === r || path.startsWith(r + '/');
}

type ScopeCfg = MonitorConfig['detectors']['out-of-scope'];

export function pathNovel(
  path: string,
  p: ParamProfile | undefined,
  b: AgentBaseline,
  cfg: ScopeCfg,
): boolean {
  const depth = Math.min(cfg.depth + (isSensitivePath(path) ? 1 : 0), path.split('/').length - 1);
  const prefix = pathPrefix(path, depth);
  if (p && own(p.prefixes, prefix)) return false;
  if (p && distinctAtDepth(p.prefixes, cfg.depth) >= cfg.openEnded) return false;
  let obs = 0;
  for (const t of Object.values(b.tools)) {
    for (const q of Object.values(t.params)) {
      if (own(q.prefixes, prefix)) return false;
      obs += q.pathObs;
    }
  }
  return obs >= cfg.minSamples;
}

export function hostNovel(
  host: string,
  p: ParamProfile | undefined,
  b: AgentBaseline,
  cfg: ScopeCfg,
): boolean {
  if (p && own(p.hosts, host)) return false;
  if (p && Object.keys(p.hosts).length >= cfg.openEnded) return false;
  if (own(b.egressHosts, host)) return false;
  let obs = 0;
  for (const t of Object.values(b.tools)) {
    for (const q of Object.values(t.params)) {
      if (own(q.hosts, host)) return false;
      obs += q.hostObs;
    }
  }
  return obs >= cfg.minSamples;
}

/**
 * The first argument of `e` outside the agent's history (a path prefix, a host, or a value of a
 * small closed value set), or null. Used by the toxic-flow detector.
 */
export function novelArgument(e: MonitorEvent, b: AgentBaseline, cfg: ScopeCfg): string | null {
  const tool = own(b.tools, toolKey(e));
  for (const f of argFeatures(e.args)) {
    const p = tool ? own(tool.params, f.param) : undefined;
    if (f.path !== undefined && pathNovel(f.path, p, b, cfg)) return f.path;
    if (f.host !== undefined && hostNovel(f.host, p, b, cfg)) return f.host;
    if (f.value !== undefined && p && closedSet(p, cfg.minSamples) && own(p.values, f.value) === undefined) {
      return `${f.param}=${f.value}`;
    }
  }
  return null;
}

/** A small value set seen often enough to be closed: not overflowed, each value seen ~3 times on average. */
function closedSet(p: ParamProfile, minSamples: number): boolean {
  return !p.valuesOverflow && p.n >= minSamples && p.n >= 3 * Object.keys(p.values).length;
}

function distinctAtDepth(prefixes: Readonly<Record<string, number>>, depth: number): number {
  let n = 0;
  for (const k of Object.keys(prefixes)) if (k.split('/').length - 1 === depth) n++;
  return n;
}
