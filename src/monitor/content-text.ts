/**
 * The text of an MCP result that a model will read, for the injection detector: text blocks,
 * embedded text resources, structured content, the text of `resources/read` contents and the
 * description and messages of `prompts/get`, joined with newlines and capped.
 */
export function resultText(result: unknown, maxChars = 1_000_000): string {
  if (result === null || typeof result !== 'object') return '';
  const r = result as {
    content?: unknown;
    contents?: unknown;
    structuredContent?: unknown;
    description?: unknown;
    messages?: unknown;
  };
  const out: Text = { parts: [], size: 0, max: maxChars };
  // prompts/get: each message carries one content block (some servers send an array)
  const messages = asArray(r.messages);
  if (messages.length > 0 && typeof r.description === 'string') add(out, r.description);
  addBlocks(out, asArray(r.content));
  addBlocks(out, asArray(r.contents));
  for (const m of messages) {
    const c: unknown = m !== null && typeof m === 'object' ? (m as { content?: unknown }).content : undefined;
    const blocks = asArray(c);
    if (blocks.length > 0) addBlocks(out, blocks);
    else addBlock(out, c);
  }
  if (r.structuredContent !== undefined) add(out, JSON.stringify(r.structuredContent) ?? '');
  return out.parts.length === 1 ? out.parts[0]! : out.parts.join('\n');
}

interface Text {
  readonly parts: string[];
  size: number;
  readonly max: number;
}

function add(t: Text, s: string): void {
  if (t.size >= t.max) return;
  const piece = s.slice(0, t.max - t.size);
  t.parts.push(piece);
  t.size += piece.length + 1;
}

function addBlocks(t: Text, blocks: readonly unknown[]): void {
  for (const b of blocks) addBlock(t, b);
}

function addBlock(t: Text, block: unknown): void {
  if (block === null || typeof block !== 'object') return;
  const b = block as { type?: unknown; text?: unknown; resource?: unknown };
  if (typeof b.text === 'string') add(t, b.text);
  if (b.resource !== null && typeof b.resource === 'object') {
    const text = (b.resource as { text?: unknown }).text;
    if (typeof text === 'string') add(t, text);
  }
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
