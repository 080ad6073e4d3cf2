import type { IncomingMessage } from 'node:http';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a body up to `limit` bytes as strict UTF-8; stops reading (413) past the limit. */
export function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<string | { status: number; message: string }> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve({ status: 413, message: `Payload Too Large: the limit is ${limit} bytes` });
  }
  if (req.complete && req.readableLength <= limit) {
    // The whole message is parsed and buffered already (a small body arrives with its headers):
    // take it now instead of waiting ticks for 'data' and 'end'.
    const chunks: Buffer[] = [];
    for (let c = req.read() as Buffer | null; c !== null; c = req.read() as Buffer | null) chunks.push(c);
    return Promise.resolve(decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        // Stop buffering; the 413 goes out with Connection: close, and the socket is destroyed
        // once it is written (see sendJson), so the rest of the body is never read.
        done = true;
        chunks.length = 0;
        req.pause();
        resolve({ status: 413, message: `Payload Too Large: the limit is ${limit} bytes` });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(decodeUtf8(Buffer.concat(chunks)));
    });
    req.on('error', () => {
      if (!done) resolve({ status: 400, message: 'Bad Request: the body could not be read' });
      done = true;
    });
  });
}

function decodeUtf8(bytes: Buffer): string | { status: number; message: string } {
  try {
    return decoder.decode(bytes);
  } catch {
    return { status: 400, message: 'Parse error: the body is not valid UTF-8' };
  }
}
