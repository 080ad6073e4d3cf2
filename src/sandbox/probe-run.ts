import type { Launcher, LaunchSpec } from './launcher.ts';

export interface ProbeResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program to completion through a launcher and collects its output (bounded); for a
 * sandbox, returns once it is destroyed as well.
 */
export async function runToEnd(
  launcher: Launcher,
  spec: LaunchSpec,
  input = '',
  maxBytes = 1 << 20,
): Promise<ProbeResult> {
  const p = await launcher.launch(spec);
  const collect = (s: NodeJS.ReadableStream): Promise<string> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let n = 0;
      s.on('data', (d: Buffer) => {
        if (n < maxBytes) chunks.push(d);
        n += d.length;
      });
      s.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
      s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  p.stdin.on('error', () => undefined);
  p.stdin.end(input);
  const [stdout, stderr, st] = await Promise.all([collect(p.stdout), collect(p.stderr), p.exited]);
  // a sandbox is torn down after `exited`: the probe is over once that is done too
  if ('destroyed' in p && p.destroyed instanceof Promise) await p.destroyed;
  return { code: st.code, signal: st.signal, stdout, stderr };
}
