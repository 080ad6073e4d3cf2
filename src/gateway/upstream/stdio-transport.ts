import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { LaunchedProcess } from '../../sandbox/index.ts';

/**
 * An MCP stdio client transport over a process started by a Launcher (so the sandbox decides
 * how it runs). Newline-delimited JSON; a line longer than `maxLineBytes` closes the transport
 * (THREATS RPC-14) instead of growing memory without bound.
 */
export class LaunchedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #proc: LaunchedProcess;
  readonly #maxLineBytes: number;
  readonly #onStderr: (chunk: string) => void;
  #buf = '';
  #closed = false;
  #finished = false;

  constructor(proc: LaunchedProcess, opts: { maxLineBytes: number; onStderr: (chunk: string) => void }) {
    this.#proc = proc;
    this.#maxLineBytes = opts.maxLineBytes;
    this.#onStderr = opts.onStderr;
  }

  start(): Promise<void> {
    this.#proc.stdout.setEncoding('utf8');
    this.#proc.stdout.on('data', (chunk: string) => this.#data(chunk));
    this.#proc.stderr.setEncoding('utf8');
    this.#proc.stderr.on('data', (chunk: string) => this.#onStderr(chunk));
    this.#proc.stdin.on('error', () => {});
    void this.#proc.exited.then(() => this.#finish());
    return Promise.resolve();
  }

  #data(chunk: string): void {
    this.#buf += chunk;
    for (;;) {
      const nl = this.#buf.indexOf('\n');
      if (nl < 0) break;
      const line = this.#buf.slice(0, nl).replace(/\r$/, '');
      this.#buf = this.#buf.slice(nl + 1);
      if (line.trim() === '') continue;
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        this.onerror?.(new Error('upstream wrote a line that is not JSON'));
        continue;
      }
      try {
        this.onmessage?.(msg as JSONRPCMessage);
      } catch (e) {
        this.onerror?.(e as Error);
      }
    }
    if (this.#buf.length > this.#maxLineBytes) {
      this.onerror?.(new Error(`upstream line exceeded ${this.#maxLineBytes} bytes without a newline`));
      void this.close();
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('transport closed'));
    return new Promise((resolve, reject) => {
      this.#proc.stdin.write(JSON.stringify(message) + '\n', (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#proc.stdin.end();
    await this.#proc.stop(2000);
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#buf = '';
    this.#closed = true;
    this.onclose?.();
  }
}
