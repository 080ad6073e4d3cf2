/**
 * A multi-pattern Aho–Corasick matcher over UTF-16 code units, written for the redactor.
 *
 * One combined RegExp collapses past a few hundred alternatives (FACTS.md: 3.7 MB/s at 1,000
 * secrets); this automaton scans in time linear in the text whatever the number of patterns.
 *
 * Layout (all typed arrays, no per-node objects on the hot path):
 * - the root has a dense 65,536-entry transition table, so text that matches nothing costs one
 *   array read per code unit;
 * - other nodes keep their children as a sorted run in `childChar`/`childNext` (secrets are
 *   random, so below depth two almost every node has a single child);
 * - `fail` is the classic failure link, `outNode` the nearest terminal node on the failure chain
 *   (dictionary suffix link) and `outPattern` the pattern ending at a terminal node.
 */
export interface AcMatch {
  /** Index into the pattern list given to the constructor. */
  readonly pattern: number;
  readonly start: number;
  readonly end: number;
}

interface BuildNode {
  readonly children: Map<number, number>;
  pattern: number;
}

export class AhoCorasick {
  readonly patternCount: number;
  readonly maxLength: number;
  readonly #lengths: Int32Array;
  readonly #root: Int32Array;
  readonly #childStart: Int32Array;
  readonly #childCount: Int32Array;
  readonly #childChar: Uint16Array;
  readonly #childNext: Int32Array;
  readonly #fail: Int32Array;
  readonly #outNode: Int32Array;
  readonly #outPattern: Int32Array;

  constructor(patterns: readonly string[]) {
    for (const p of patterns) {
      if (typeof p !== 'string' || p.length === 0) throw new TypeError('patterns must be non-empty strings');
    }
    this.patternCount = patterns.length;
    this.#lengths = Int32Array.from(patterns, (p) => p.length);
    this.maxLength = patterns.reduce((m, p) => Math.max(m, p.length), 0);
    const nodes = buildTrie(patterns);
    const n = nodes.length;
    this.#childStart = new Int32Array(n);
    this.#childCount = new Int32Array(n);
    const edges = nodes.reduce((s, node) => s + node.children.size, 0);
    this.#childChar = new Uint16Array(edges);
    this.#childNext = new Int32Array(edges);
    this.#outPattern = Int32Array.from(nodes, (node) => node.pattern);
    let e = 0;
    for (let i = 0; i < n; i++) {
      const kids = [...nodes[i]!.children.entries()].sort((a, b) => a[0] - b[0]);
      this.#childStart[i] = e;
      this.#childCount[i] = kids.length;
      for (const [c, next] of kids) {
        this.#childChar[e] = c;
        this.#childNext[e++] = next;
      }
    }
    this.#root = new Int32Array(65536);
    for (const [c, next] of nodes[0]!.children) this.#root[c] = next;
    this.#fail = new Int32Array(n);
    this.#outNode = new Int32Array(n).fill(-1);
    this.#linkFailures(nodes);
  }

  /** Breadth-first: each node's failure link is its longest proper suffix that is in the trie. */
  #linkFailures(nodes: readonly BuildNode[]): void {
    const queue: number[] = [];
    for (const next of nodes[0]!.children.values()) queue.push(next);
    for (let qi = 0; qi < queue.length; qi++) {
      const node = queue[qi]!;
      const f = this.#fail[node]!;
      this.#outNode[node] = this.#outPattern[f]! >= 0 ? f : this.#outNode[f]!;
      for (const [c, child] of nodes[node]!.children) {
        this.#fail[child] = this.#step(f, c);
        queue.push(child);
      }
    }
  }

  /** The transition from `state` on code unit `c`, following failure links. */
  #step(state: number, c: number): number {
    let s = state;
    for (;;) {
      if (s === 0) return this.#root[c]!;
      const next = this.#child(s, c);
      if (next >= 0) return next;
      s = this.#fail[s]!;
    }
  }

  #child(s: number, c: number): number {
    let lo = this.#childStart[s]!;
    let hi = lo + this.#childCount[s]! - 1;
    const chars = this.#childChar;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = chars[mid]!;
      if (m === c) return this.#childNext[mid]!;
      if (m < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Every occurrence of every pattern in `text` (overlapping ones included), in order of their
   * end position. `onMatch` returning true stops the scan early.
   */
  scan(text: string, onMatch: (pattern: number, start: number, end: number) => boolean | void): void {
    const root = this.#root;
    const outPattern = this.#outPattern;
    const outNode = this.#outNode;
    const lengths = this.#lengths;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      s = s === 0 ? root[c]! : this.#step(s, c);
      if (s === 0) continue;
      let t = outPattern[s]! >= 0 ? s : outNode[s]!;
      while (t > 0) {
        const p = outPattern[t]!;
        if (onMatch(p, i + 1 - lengths[p]!, i + 1) === true) return;
        t = outNode[t]!;
      }
    }
  }

  /** All matches as a list. */
  findAll(text: string): AcMatch[] {
    const out: AcMatch[] = [];
    this.scan(text, (pattern, start, end) => {
      out.push({ pattern, start, end });
    });
    return out;
  }

  /** Whether any pattern occurs in `text`. */
  test(text: string): boolean {
    let found = false;
    this.scan(text, () => (found = true));
    return found;
  }
}

function buildTrie(patterns: readonly string[]): BuildNode[] {
  const nodes: BuildNode[] = [{ children: new Map(), pattern: -1 }];
  patterns.forEach((p, index) => {
    let s = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      let next = nodes[s]!.children.get(c);
      if (next === undefined) {
        next = nodes.length;
        nodes.push({ children: new Map(), pattern: -1 });
        nodes[s]!.children.set(c, next);
      }
      s = next;
    }
    // Duplicate patterns: the first one wins; callers deduplicate before building.
    if (nodes[s]!.pattern < 0) nodes[s]!.pattern = index;
  });
  return nodes;
}
