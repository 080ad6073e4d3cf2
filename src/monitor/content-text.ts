/**
 * The text of an MCP result that a model will read, for the injection detector: text blocks,
 * embedded text resources, structured content, the text of `resources/read` contents and the
 * description and messages of `prompts/get`, joined with newlines and capped.
 */
export function resultText(result: unknown, maxChars = 1_000_000): string {
  const parts: string[] = [];
  let size = 0;
  const add = (s: string): void => {
    if (size >= maxChars) return;
    const piece = s.slice(0, maxChars - size);
    parts.push(piece);
    size += piece.length + 1;
  };
  if (result === null || typeof result !== 'object') return '';
  const r = result as {
    content?: unknown;
    contents?: unknown;
    structuredContent?: unknown;
    description?: unknown;
    messages?: unknown;
  };
  // prompts/get: each message carries one content block (some servers send an array)
  const promptBlocks: unknown[] = asArray(r.messages).flatMap((m): unknown[] => {
    const c: unknown = m !== null && typeof m === 'object' ? (m as { content?: unknown }).content : undefined;
    return asArray(c).length > 0 ? asArray(c) : [c];
  });
  if (promptBlocks.length > 0 && typeof r.description === 'string') add(r.description);
  for (const block of [...asArray(r.content), ...asArray(r.contents), ...promptBlocks]) {
    if (block === null || typeof block !== 'object') continue;
    const b = block as { type?: unknown; text?: unknown; resource?: unknown };
    if (typeof b.text === 'string') add(b.text);
    if (b.resource !== null && typeof b.resource === 'object') {
      const t = (b.resource as { text?: unknown }).text;
      if (typeof t === 'string') add(t);
    }
  }
  if (r.structuredContent !== undefined) add(JSON.stringify(r.structuredContent) ?? '');
  return parts.join('\n');
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
