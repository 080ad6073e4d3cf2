/**
 * A multi-pattern Aho–Corasick matcher over UTF-16 code units, written for the redactor.
 *
 * One combined RegExp collapses past a few hundred alternatives (FACTS.md: 3.7 MB/s at 1,000
 * secrets); this automaton scans in time linear in the text whatever the number of patterns.
 *
 * Design, for long random patterns (secrets and their encodings):
 * - Anchored: the automaton holds each pattern's first ANCHOR code units; an anchor hit is
 *   verified against the full patterns sharing that anchor (`startsWith`). Every occurrence of
 *   a pattern begins with an occurrence of its anchor, and the automaton reports every anchor
 *   occurrence (overlapping ones too), so no match is lost; the automaton stays small.
 * - Alphabet classes: code units that occur in no anchor map to class 0 and send the scan back
 *   to the root; the others get dense class ids 1..K.
 * - Hybrid transitions: shallow states (where the scan spends its time) get full DFA rows over
 *   the classes, failure links already folded in; deeper states keep a child list and fall back
 *   along failure links, which land on a dense state within a step or two.
 * All tables are typed arrays built once; the scan loop allocates nothing.
 */
export interface AcMatch {
  /** Index into the pattern list given to the constructor. */
  readonly pattern: number;
  readonly start: number;
  readonly end: number;
}

/** Anchor length in code units. */
const ANCHOR = 16;
/** Upper bound on dense-table entries (4 bytes each: 4 MB keeps the hot rows in cache). */
const DENSE_BUDGET = 1_000_000;

const NONE = -1;
const MANY = -2;

/** Knobs for tests (exercise verification and sparse states with small inputs). */
export interface AcTuning {
  readonly anchorLength?: number;
  readonly denseBudget?: number;
}

interface Trie {
  readonly size: number;
  readonly childHead: Int32Array;
  readonly sibling: Int32Array;
  readonly nodeClass: Int32Array;
  readonly depth: Int32Array;
  readonly anchorAt: Int32Array;
}

export class AhoCorasick {
  readonly patternCount: number;
  readonly maxLength: number;
  readonly #patterns: readonly string[];
  readonly #classOf: Uint16Array;
  readonly #classes: number;
  readonly #trie: Trie;
  readonly #fail: Int32Array;
  readonly #outHead: Int32Array;
  readonly #denseRow: Int32Array;
  /** Dense rows; entries are state codes (see #codeOf). */
  readonly #table: Int32Array;
  /**
   * State code per node: a dense state is `rowBase * 2 + hasOutput`, a sparse one `-1 - node`,
   * so the hot loop reads one table entry per code unit and tests one bit for output.
   */
  readonly #codeOf: Int32Array;
  readonly #rowNode: Int32Array;
  /** Per node: the class of its only child, NONE (leaf) or MANY. */
  readonly #onlyClass: Int32Array;
  readonly #anchorLength: Int32Array;
  /** Shortest anchor (the skip distance at the root). */
  readonly #minAnchor: number;
  /** Patterns per anchor: a flat list with offsets. */
  readonly #bucketStart: Int32Array;
  readonly #bucketItems: Int32Array;

  readonly #denseBudget: number;
  /** Table entries are node ids while building, state codes afterwards. */
  #built = false;

  constructor(patterns: readonly string[], tuning: AcTuning = {}) {
    const anchorLength = tuning.anchorLength ?? ANCHOR;
    this.#denseBudget = tuning.denseBudget ?? DENSE_BUDGET;
    if (!Number.isInteger(anchorLength) || anchorLength < 1)
      throw new RangeError('anchorLength must be >= 1');
    for (const p of patterns) {
      if (typeof p !== 'string' || p.length === 0) throw new TypeError('patterns must be non-empty strings');
    }
    this.#patterns = [...patterns];
    this.patternCount = patterns.length;
    this.maxLength = patterns.reduce((m, p) => Math.max(m, p.length), 0);
    const anchors = new Map<string, number[]>();
    patterns.forEach((p, i) => {
      const a = p.slice(0, anchorLength);
      const list = anchors.get(a);
      if (list === undefined) anchors.set(a, [i]);
      else list.push(i);
    });
    const anchorTexts = [...anchors.keys()];
    this.#anchorLength = Int32Array.from(anchorTexts, (a) => a.length);
    this.#minAnchor = anchorTexts.reduce((m, a) => Math.min(m, a.length), Infinity);
    this.#bucketStart = new Int32Array(anchorTexts.length + 1);
    this.#bucketItems = new Int32Array(patterns.length);
    let k = 0;
    anchorTexts.forEach((a, i) => {
      this.#bucketStart[i] = k;
      for (const p of anchors.get(a)!) this.#bucketItems[k++] = p;
    });
    this.#bucketStart[anchorTexts.length] = k;
    this.#classOf = new Uint16Array(65536);
    let classes = 0;
    for (const a of anchorTexts) {
      for (let i = 0; i < a.length; i++) {
        const c = a.charCodeAt(i);
        if (this.#classOf[c] === 0) this.#classOf[c] = ++classes;
      }
    }
    this.#classes = classes + 1;
    this.#trie = buildTrie(anchorTexts, this.#classOf);
    const n = this.#trie.size;
    this.#fail = new Int32Array(n);
    this.#outHead = new Int32Array(n);
    this.#denseRow = new Int32Array(n).fill(-1);
    const order = bfsOrder(this.#trie);
    const denseNodes = this.#pickDense(order);
    this.#table = new Int32Array(denseNodes * this.#classes);
    this.#link(order);
    this.#rowNode = order.slice(0, denseNodes);
    this.#codeOf = new Int32Array(n);
    for (let node = 0; node < n; node++) {
      const row = this.#denseRow[node]!;
      this.#codeOf[node] = row >= 0 ? row * 2 + (this.#outHead[node]! > 0 ? 1 : 0) : -1 - node;
    }
    for (let i = 0; i < this.#table.length; i++) this.#table[i] = this.#codeOf[this.#table[i]!]!;
    this.#onlyClass = new Int32Array(n);
    const { childHead, sibling, nodeClass } = this.#trie;
    for (let node = 0; node < n; node++) {
      const ch = childHead[node]!;
      this.#onlyClass[node] = ch < 0 ? NONE : sibling[ch]! >= 0 ? MANY : nodeClass[ch]!;
    }
    this.#built = true;
  }

  /** Dense rows go to the shallowest states (BFS order) while the budget allows. */
  #pickDense(order: Int32Array): number {
    const perRow = this.#classes;
    const depth = this.#trie.depth;
    let count = 0;
    let i = 0;
    while (i < order.length) {
      const d = depth[order[i]!]!;
      let j = i;
      while (j < order.length && depth[order[j]!] === d) j++;
      if ((count + (j - i)) * perRow > this.#denseBudget && d > 0) break;
      count += j - i;
      i = j;
    }
    for (let r = 0; r < count; r++) this.#denseRow[order[r]!] = r * perRow;
    return count;
  }

  /** Failure links, output links and dense rows, in BFS order (shallower states first). */
  #link(order: Int32Array): void {
    const { childHead, sibling, nodeClass, anchorAt } = this.#trie;
    const fail = this.#fail;
    const table = this.#table;
    const K = this.#classes;
    for (const s of order) {
      if (s !== 0) {
        const f = fail[s]!;
        this.#outHead[s] = anchorAt[s]! >= 0 ? s : this.#outHead[f]!;
      }
      const row = this.#denseRow[s]!;
      if (row >= 0 && s !== 0)
        table.set(table.subarray(this.#denseRow[fail[s]!], this.#denseRow[fail[s]!]! + K), row);
      for (let ch = childHead[s]!; ch >= 0; ch = sibling[ch]!) {
        const c = nodeClass[ch]!;
        fail[ch] = s === 0 ? 0 : this.#go(fail[s]!, c);
        if (row >= 0) table[row + c] = ch;
      }
    }
  }

  /** The node a state code stands for. */
  #nodeOf(code: number): number {
    return code >= 0 ? this.#rowNode[((code >> 1) / this.#classes) | 0]! : -1 - code;
  }

  /** The transition from node `state` on class `c` to a node (failure links followed). */
  #go(state: number, c: number): number {
    const { childHead, sibling, nodeClass } = this.#trie;
    let s = state;
    for (;;) {
      const row = this.#denseRow[s]!;
      if (row >= 0) return this.#built ? this.#nodeOf(this.#table[row + c]!) : this.#table[row + c]!;
      for (let ch = childHead[s]!; ch >= 0; ch = sibling[ch]!) if (nodeClass[ch] === c) return ch;
      s = this.#fail[s]!;
    }
  }

  /**
   * Every occurrence of every pattern in `text` (overlapping ones included). `onMatch`
   * returning true stops the scan early.
   */
  scan(text: string, onMatch: (pattern: number, start: number, end: number) => boolean | void): void {
    if (this.patternCount === 0) return;
    const classOf = this.#classOf;
    const table = this.#table;
    const K = this.#classes;
    const skip = this.#minAnchor - 1;
    const n = text.length;
    let s = 0;
    for (let i = 0; i < n; i++) {
      // At the root no match is in progress, and every anchor is at least `skip + 1` units of
      // pattern characters: if the unit `skip` ahead is in no pattern, no occurrence can start
      // at i..i+skip, so jump past it.
      if (s === 0 && i + skip < n && classOf[text.charCodeAt(i + skip)] === 0) {
        i += skip;
        continue;
      }
      const c = classOf[text.charCodeAt(i)]!;
      if (c === 0) {
        s = 0;
        continue;
      }
      s = s >= 0 ? table[(s >> 1) + c]! : this.#sparseStep(-1 - s, c);
      if (s >= 0) {
        if ((s & 1) === 1 && this.#report(text, i, this.#rowNode[((s >> 1) / K) | 0]!, onMatch)) return;
      } else if (this.#outHead[-1 - s]! > 0 && this.#report(text, i, -1 - s, onMatch)) return;
    }
  }

  /**
   * A step from a sparse (deep) node: most have one child, so compare its class; otherwise
   * follow failure links, which reach a dense row within a step or two.
   */
  #sparseStep(start: number, c: number): number {
    const only = this.#onlyClass;
    const denseRow = this.#denseRow;
    let node = start;
    for (;;) {
      const o = only[node]!;
      if (o === c) return this.#codeOf[this.#trie.childHead[node]!]!;
      if (o === MANY) {
        const ch = this.#go(node, c);
        return this.#codeOf[ch]!;
      }
      node = this.#fail[node]!;
      const row = denseRow[node]!;
      if (row >= 0) return this.#table[row + c]!;
    }
  }

  /** Verifies the anchors ending at `i` against their full patterns. */
  #report(
    text: string,
    i: number,
    state: number,
    onMatch: (p: number, s: number, e: number) => boolean | void,
  ): boolean {
    const anchorAt = this.#trie.anchorAt;
    for (let t = this.#outHead[state]!; t > 0; t = this.#outHead[this.#fail[t]!]!) {
      const a = anchorAt[t]!;
      const start = i + 1 - this.#anchorLength[a]!;
      for (let k = this.#bucketStart[a]!; k < this.#bucketStart[a + 1]!; k++) {
        const p = this.#bucketItems[k]!;
        const pattern = this.#patterns[p]!;
        if (text.startsWith(pattern, start) && onMatch(p, start, start + pattern.length) === true)
          return true;
      }
    }
    return false;
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

function buildTrie(anchors: readonly string[], classOf: Uint16Array): Trie {
  const max = 1 + anchors.reduce((s, a) => s + a.length, 0);
  const t = {
    size: 1,
    childHead: new Int32Array(max).fill(-1),
    sibling: new Int32Array(max).fill(-1),
    nodeClass: new Int32Array(max),
    depth: new Int32Array(max),
    anchorAt: new Int32Array(max).fill(-1),
  };
  anchors.forEach((a, index) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) {
      const c = classOf[a.charCodeAt(i)]!;
      let ch = t.childHead[s]!;
      while (ch >= 0 && t.nodeClass[ch] !== c) ch = t.sibling[ch]!;
      if (ch < 0) {
        ch = t.size++;
        t.nodeClass[ch] = c;
        t.depth[ch] = t.depth[s]! + 1;
        t.sibling[ch] = t.childHead[s]!;
        t.childHead[s] = ch;
      }
      s = ch;
    }
    t.anchorAt[s] = index;
  });
  return t;
}

function bfsOrder(t: Trie): Int32Array {
  const order = new Int32Array(t.size);
  let tail = 1;
  for (let head = 0; head < tail; head++) {
    for (let ch = t.childHead[order[head]!]!; ch >= 0; ch = t.sibling[ch]!) order[tail++] = ch;
  }
  return order;
}
