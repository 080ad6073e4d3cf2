/**
 * The supply-chain e2e tests' fixture servers: a stdio server block whose `SUPPLY_MODE` picks
 * the attack and whose effects are counted in `<dir>/<name>.log` (a refused call leaves none).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestGateway } from './gateway.ts';

/** The warden.yaml lines of server `name` running `script` in `mode`. */
export function modeServer(script: string, name: string, mode: string, dir: string): string[] {
  return [
    `  ${name}:`,
    `    command: ${process.execPath}`,
    `    args: ["${script}"]`,
    '    env:',
    `      SUPPLY_MODE: ${mode}`,
    `      SUPPLY_COUNTER_FILE: "${join(dir, `${name}.log`)}"`,
  ];
}

/** What server `name` actually did, one line per effect. */
export function effectsOf(t: TestGateway, server: string): string[] {
  const f = join(t.dir, `${server}.log`);
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
}
