import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Whether `uid`/`gid` may search (x) or read (r) an inode with this owner and mode. */
function permits(
  st: { uid: number; gid: number; mode: number },
  uid: number,
  gid: number,
  bit: number,
): boolean {
  if (st.uid === uid) return (st.mode & (bit << 6)) !== 0;
  if (st.gid === gid) return (st.mode & (bit << 3)) !== 0;
  return (st.mode & bit) !== 0;
}

/**
 * Why the sandbox uid cannot reach `path` (bubblewrap binds it after Warden has dropped to that
 * uid, so every parent must be searchable by it), or undefined when it can. Supplementary
 * groups are cleared before bwrap, so only owner, primary group and other bits count.
 */
export function unreachableReason(path: string, uid: number, gid: number): string | undefined {
  const chain: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const dir of chain) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      return `${dir} does not exist`;
    }
    if (!permits(st, uid, gid, 1))
      return `${dir} (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}) is not searchable by uid ${uid}`;
  }
  let st;
  try {
    st = statSync(path);
  } catch {
    return `${path} does not exist`;
  }
  const bit = st.isDirectory() ? 1 : 4;
  if (!permits(st, uid, gid, bit))
    return `${path} (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}) is not ${bit === 1 ? 'searchable' : 'readable'} by uid ${uid}`;
  return undefined;
}
