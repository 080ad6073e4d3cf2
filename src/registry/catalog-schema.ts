/**
 * The signed catalog of admitted servers (issue 6 part 5). Strict: an unknown key is an error.
 * Security rules live in the schema with their reason.
 */
import { z } from 'zod';
import { validateToolName } from '../scan/index.ts';
import { PIN_RE } from './pin.ts';
import { lockSchema } from './lock-schema.ts';
import { SRI } from './sri.ts';

export { SRI };

const SERVER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** npm package name (scoped or not) and an exact version: no ranges, no tags (RP-4). */
export const NPM_SPEC =
  /^npm:((?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;
const HOST =
  /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?$|^(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?$/;

export const catalogEntrySchema = z
  .strictObject({
    name: z.string().regex(SERVER_NAME, 'server names are lower-case [a-z][a-z0-9_-]{0,31}'),
    package: z
      .string()
      .regex(
        NPM_SPEC,
        "package must be 'npm:<name>@<exact version>' (no ranges or tags: a tag can be moved, RP-4)",
      )
      .optional(),
    integrity: z
      .string()
      .regex(SRI, "integrity must be a Subresource Integrity string such as 'sha512-…'")
      .optional(),
    command: z
      .string()
      .refine((c) => c.startsWith('/'), {
        message: 'command must be an absolute path (no PATH lookup, no shell)',
      })
      .optional(),
    args: z.array(z.string()).default([]),
    tools: z
      .record(
        z.string().refine((n) => validateToolName(n).ok, {
          message: 'tool names follow the MCP rule [A-Za-z0-9_.-]{1,128}',
        }),
        z.string().regex(PIN_RE, 'tool pins are sha256:<64 hex> (see pinHash)'),
      )
      .default({}),
    secrets: z.array(z.string().regex(ENV_NAME, 'secret names are POSIX identifiers')).default([]),
    /**
     * The whole dependency tree, exact (package-lock v3 `packages`, without the root project):
     * `warden catalog add` / `lock` resolve it; the gateway installs exactly it with `npm ci`.
     */
    lock: lockSchema.optional(),
    egress: z
      .array(
        z
          .string()
          .regex(
            HOST,
            "egress entries are host names (optionally '*.' + domain, optionally :port); a bare '*' is not allowed",
          ),
      )
      .default([]),
  })
  .refine((e) => (e.package === undefined) !== (e.command === undefined), {
    message: 'an entry names exactly one of package or command',
  })
  .refine((e) => e.package === undefined || e.integrity !== undefined, {
    message: 'a package entry needs the registry integrity hash (sha512-…) so the tarball can be verified',
  })
  .refine((e) => e.lock === undefined || lockAgrees(e.package, e.integrity, e.lock), {
    message:
      "lock must hold the entry's own package at node_modules/<name> with the same version and integrity",
    path: ['lock'],
  });

/** Whether a lock's entry for the package itself has the catalog entry's version and integrity. */
function lockAgrees(
  spec: string | undefined,
  integrity: string | undefined,
  lock: z.output<typeof lockSchema>,
): boolean {
  const m = spec === undefined ? null : NPM_SPEC.exec(spec);
  if (m === null) return false;
  const own = lock.packages[`node_modules/${m[1]!}`];
  return own !== undefined && own.version === m[2] && own.integrity === integrity && own.name === undefined;
}

export const catalogSchema = z
  .strictObject({
    version: z.literal(1),
    servers: z.array(catalogEntrySchema),
  })
  .refine((c) => new Set(c.servers.map((s) => s.name)).size === c.servers.length, {
    message: 'server names in a catalog are unique',
  });

export type CatalogEntry = z.output<typeof catalogEntrySchema>;
export type Catalog = z.output<typeof catalogSchema>;
export type CatalogInput = z.input<typeof catalogSchema>;

export const signedCatalogSchema = z.strictObject({
  payload: z.unknown(),
  signatures: z
    .array(
      z.strictObject({
        keyid: z.string().regex(/^sha256:[0-9a-f]{64}$/),
        alg: z.literal('Ed25519'),
        sig: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
      }),
    )
    .min(1),
});
export type SignedCatalog = z.output<typeof signedCatalogSchema>;
