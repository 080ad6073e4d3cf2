import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Per-sandbox cgroups on v2 (unified), v1 (one hierarchy per controller) or both (hybrid).
 * Warden creates `<its own cgroup>/warden` as parent in each usable hierarchy, so any outer
 * limit on Warden itself still applies to its sandboxes.
 */
export type Controller = 'memory' | 'pids' | 'cpu';
const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'freezer'] as const;
type V1Controller = (typeof V1_CONTROLLERS)[number];

export interface CgroupSupport {
  /** v1 parent directories per controller. */
  readonly v1: Partial<Record<V1Controller, string>>;
  /** v2 parent directory (kill works even without controllers). */
  readonly v2?: string | undefined;
  /** Controllers enabled for children of the v2 parent. */
  readonly v2Controllers: readonly Controller[];
  /** Which controllers can be limited (from v1 or v2). */
  readonly controllers: readonly Controller[];
  /** Human-readable notes on what is missing and why. */
  readonly notes: readonly string[];
}

export interface CgroupLimits {
  readonly memoryBytes?: number | undefined;
  readonly pids?: number | undefined;
  readonly cpus?: number | undefined;
}

interface Mount {
  readonly dir: string;
  readonly type: 'cgroup' | 'cgroup2';
  readonly options: string;
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const [type, , superOpts] = post.split(' ');
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    const dir = pre.split(' ')[4];
    if (dir) out.push({ dir: dir.replace(/\\040/g, ' '), type, options: superOpts ?? '' });
  }
  return out;
}

/** Own cgroup path per hierarchy: key '' for v2, else the controller list ("memory", "cpu,cpuacct"). */
function ownPaths(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, ctrls, path] = line.split(':');
    if (ctrls !== undefined && path !== undefined) map.set(ctrls, path);
  }
  return map;
}

function tryMkParent(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return undefined;
  }
}

function detectV1(ms: Mount[], own: Map<string, string>, notes: string[]): CgroupSupport['v1'] {
  const v1: Partial<Record<V1Controller, string>> = {};
  for (const c of V1_CONTROLLERS) {
    const m = ms.find((x) => x.type === 'cgroup' && x.options.split(',').includes(c));
    if (!m) continue;
    const key = [...own.keys()].find((k) => k.split(',').includes(c));
    const base = join(m.dir, key !== undefined ? (own.get(key) ?? '/') : '/');
    const parent = tryMkParent(join(base, 'warden'));
    if (parent) v1[c] = parent;
    else notes.push(`cgroup v1 ${c}: cannot create ${join(base, 'warden')}`);
  }
  return v1;
}

function enableV2(dir: string, want: readonly Controller[]): Controller[] {
  const avail = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  const ok: Controller[] = [];
  for (const c of want) {
    if (!avail.includes(c)) continue;
    try {
      writeFileSync(join(dir, 'cgroup.subtree_control'), `+${c}`);
      ok.push(c);
    } catch {
      // not delegated or the cgroup holds processes (no-internal-process rule)
    }
  }
  return ok;
}

function detectV2(
  ms: Mount[],
  own: Map<string, string>,
  notes: string[],
): Pick<CgroupSupport, 'v2' | 'v2Controllers'> {
  const m = ms.find((x) => x.type === 'cgroup2');
  if (!m) return { v2: undefined, v2Controllers: [] };
  const base = join(m.dir, own.get('') ?? '/');
  const parent = tryMkParent(join(base, 'warden'));
  if (!parent) {
    notes.push(`cgroup v2: cannot create ${join(base, 'warden')} (delegate a writable cgroup to Warden)`);
    return { v2: undefined, v2Controllers: [] };
  }
  const upper = enableV2(base, ['memory', 'pids', 'cpu']);
  const v2Controllers = enableV2(parent, upper);
  if (!existsSync(join(parent, 'cgroup.kill'))) notes.push('cgroup v2: no cgroup.kill (kernel < 5.14)');
  return { v2: parent, v2Controllers };
}

let cached: CgroupSupport | undefined;

/** Detects which cgroup hierarchies Warden can use (cached per process). */
export function detectCgroups(refresh = false): CgroupSupport {
  if (cached && !refresh) return cached;
  const notes: string[] = [];
  let ms: Mount[] = [];
  let own = new Map<string, string>();
  try {
    ms = mounts();
    own = ownPaths();
  } catch {
    notes.push('cannot read /proc/self/mountinfo or /proc/self/cgroup');
  }
  const v1 = detectV1(ms, own, notes);
  const { v2, v2Controllers } = detectV2(ms, own, notes);
  const controllers = (['memory', 'pids', 'cpu'] as const).filter((c) => v2Controllers.includes(c) || v1[c]);
  for (const c of ['memory', 'pids', 'cpu'] as const) {
    if (!controllers.includes(c)) notes.push(`no usable ${c} controller`);
  }
  cached = Object.freeze({ v1, v2, v2Controllers, controllers, notes });
  return cached;
}
