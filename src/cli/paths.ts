import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Warden's package root (works from src/ under tsx and from dist/src/ when built). */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'templates'))) return d;
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the warden package root');
    d = up;
  }
}
