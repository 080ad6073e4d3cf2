/**
 * Toxic flow (THREATS PI-3): the session has read untrusted content and now calls a sensitive
 * or outbound tool (see the `strict` option for when that alone alerts). Sensitive = a configured `server/tool` glob, or (with annotations) a tool
 * that is not read-only and is destructive or open-world.
 */
import { isLearning, toolKey } from '../baseline.ts';
import { novelArgument } from './novelty.ts';
import type { MonitorConfig } from '../schema.ts';
import type { MonitorEvent } from '../types.ts';
import type { Detector } from './types.ts';
import { seqs } from './types.ts';

export const toxicFlow: Detector = (e, b, s, c) => {
  if (e.tool === undefined || e.method === 'egress' || !s.session.untrusted) return null;
  if (!isSensitiveTool(e, c)) return null;
  const key = toolKey(e);
  let why: string;
  if (s.session.suspicious) why = 'content flagged as a prompt injection';
  else if (c.detectors['toxic-flow'].strict) why = 'untrusted content';
  else {
    const novel = isLearning(b, c.learning, e.time) ? null : novelArgument(e, b, c.detectors['out-of-scope']);
    if (novel === null) return null;
    why = `untrusted content, with ${novel} outside its history`;
  }
  return {
    detector: 'toxic-flow',
    severity: 'high',
    message: `session read ${why} (${s.session.labels.join(', ')}) and then called sensitive tool ${key}`,
    dedupKey: `toxic-flow:${e.agent}:${e.session ?? ''}:${key}`,
    auditSeqs: seqs(s.session.taintSeqs, e.seq),
  };
};

export function isSensitiveTool(e: MonitorEvent, c: MonitorConfig): boolean {
  const cfg = c.detectors['toxic-flow'];
  if (cfg.sensitiveTools.length > 0) {
    const key = toolKey(e);
    for (const g of cfg.sensitiveTools) {
      if (globMatch(g, key) || globMatch(g, e.tool ?? '')) return true;
    }
  }
  const a = e.annotations;
  if (!cfg.useAnnotations || !a || a.readOnlyHint === true) return false;
  return a.destructiveHint === true || a.openWorldHint === true;
}

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters (including '/'); everything else is literal. */
export function globMatch(glob: string, s: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp('^' + glob.split('*').map(escapeRe).join('.*') + '$', 'i');
    if (globCache.size < 1024) globCache.set(glob, re);
  }
  return re.test(s);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
