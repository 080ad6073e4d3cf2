/**
 * Splits a `.cedar` file into its policies, keeping each policy's offset so diagnostics can name
 * the file, line and column. Cedar's only nesting-free terminator is `;`; it can also appear in
 * string literals and `//` comments, which the scanner skips.
 */
export interface PolicySource {
  /** File name as given to the loader (relative to the policies directory). */
  readonly file: string;
  /** 1-based position of this policy within its file. */
  readonly index: number;
  readonly text: string;
  /** Character offset of `text` within the file. */
  readonly offset: number;
}

export function splitPolicies(file: string, content: string): PolicySource[] {
  const out: PolicySource[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number): void => {
    const text = content.slice(start, end);
    if (hasCode(text)) out.push({ file, index: out.length + 1, text, offset: start });
    start = end;
  };
  while (i < content.length) {
    const ch = content[i];
    if (ch === '"') i = skipString(content, i);
    else if (ch === '/' && content[i + 1] === '/') i = skipLine(content, i);
    else if (ch === ';') {
      i++;
      push(i);
    } else i++;
  }
  push(content.length);
  return out;
}

function skipString(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
  return j + 1;
}

function skipLine(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  return nl === -1 ? s.length : nl + 1;
}

/** True when the text holds something other than whitespace and comments. */
function hasCode(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '/' && text[i + 1] === '/') i = skipLine(text, i);
    else if (/\s/.test(ch)) i++;
    else return true;
  }
  return false;
}

/** Cedar reports UTF-8 byte offsets; JS strings index UTF-16 code units. */
export function byteToCharOffset(text: string, byteOffset: number): number {
  const buf = Buffer.from(text, 'utf8');
  return buf.subarray(0, Math.max(0, Math.min(byteOffset, buf.length))).toString('utf8').length;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** 1-based line and column of a character offset in `content`. */
export function positionAt(content: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < content.length; i++) {
    if (content[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first non-whitespace, non-comment character offset in a policy's text. */
export function codeStart(text: string): number {
  let i = 0;
  while (i < text.length) {
    if (text[i] === '/' && text[i + 1] === '/') i = skipLine(text, i);
    else if (/\s/.test(text[i]!)) i++;
    else return i;
  }
  return 0;
}
