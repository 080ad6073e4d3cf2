/**
 * Admission against a verified catalog (`catalog.enforce: true`): a server starts only if the
 * catalog names it with the same package (or the same absolute command and args), and its
 * tools match the catalog's pins.
 */
import { err, ok } from '../core/index.ts';
import type { Result } from '../core/index.ts';
import type { Catalog, CatalogEntry } from './catalog-schema.ts';
import { pinHash } from './pin.ts';

export type AdmissionCode = 'ERR_NOT_IN_CATALOG' | 'ERR_CATALOG_MISMATCH';

/** How the local configuration wants to launch a server. */
export interface LaunchRequest {
  readonly name: string;
  /** npm package name (no version: the catalog fixes the version). */
  readonly package?: string;
  readonly command?: string;
  readonly args?: readonly string[];
}

function packageName(spec: string): string {
  const at = spec.lastIndexOf('@');
  return spec.slice('npm:'.length, at);
}

export function admitServer(catalog: Catalog, req: LaunchRequest): Result<CatalogEntry, AdmissionCode> {
  const entry = catalog.servers.find((s) => s.name === req.name);
  if (entry === undefined)
    return err('ERR_NOT_IN_CATALOG', `server '${req.name}' is not in the signed catalog`);
  if (req.package !== undefined) {
    if (entry.package === undefined || packageName(entry.package) !== req.package) {
      return err(
        'ERR_CATALOG_MISMATCH',
        `server '${req.name}' runs package ${req.package}, but the catalog admits ${entry.package ?? entry.command ?? 'nothing'}`,
      );
    }
    return ok(entry);
  }
  if (req.command === undefined || entry.command !== req.command) {
    return err(
      'ERR_CATALOG_MISMATCH',
      `server '${req.name}' runs ${req.command ?? '(no command)'}, but the catalog admits ${entry.command ?? entry.package ?? 'nothing'}`,
    );
  }
  const args = req.args ?? [];
  if (args.length !== entry.args.length || args.some((a, i) => a !== entry.args[i])) {
    return err('ERR_CATALOG_MISMATCH', `server '${req.name}' arguments differ from the catalog's`);
  }
  return ok(entry);
}

export interface CatalogToolCheck {
  readonly tool: string;
  readonly status: 'match' | 'mismatch' | 'unlisted';
  readonly expected?: string;
  readonly actual: string;
}

/**
 * Compares listed tools with the catalog's pins. When the entry lists no tools, every tool is
 * 'unlisted' and the caller falls back to the pin store's first-sight policy.
 */
export function checkCatalogTools(
  entry: CatalogEntry,
  defs: readonly Readonly<Record<string, unknown>>[],
): CatalogToolCheck[] {
  return defs
    .filter((d) => typeof d['name'] === 'string')
    .map((d) => {
      const tool = d['name'] as string;
      const actual = pinHash(d);
      const expected = Object.hasOwn(entry.tools, tool) ? entry.tools[tool] : undefined;
      if (expected === undefined) return { tool, status: 'unlisted', actual };
      return { tool, status: expected === actual ? 'match' : 'mismatch', expected, actual };
    });
}
