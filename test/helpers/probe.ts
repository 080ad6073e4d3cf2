/**
 * The monitor tests' gateway: one stdio server `probe` (test/fixtures/servers/probe-server.mjs)
 * and a `monitor:` block.
 */
import { join } from 'node:path';

export const PROBE = join(import.meta.dirname, '..', 'fixtures', 'servers', 'probe-server.mjs');

/** warden.yaml with the probe server; `monitor` lines go under `monitor:` (indented here). */
export function probeYaml(monitor: readonly string[], opts: { counterFile?: string } = {}): string {
  return [
    'version: 1',
    'gateway:',
    '  listen: 127.0.0.1:0',
    'servers:',
    '  probe:',
    `    command: ${process.execPath}`,
    `    args: [${JSON.stringify(PROBE)}]`,
    ...(opts.counterFile === undefined
      ? []
      : ['    env:', `      PROBE_COUNTER_FILE: ${JSON.stringify(opts.counterFile)}`]),
    'monitor:',
    ...monitor.map((l) => `  ${l}`),
    '',
  ].join('\n');
}
