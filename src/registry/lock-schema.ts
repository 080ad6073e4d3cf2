/**
 * The dependency lock of a catalog package entry (issue 6 part 5, THREATS RP-4): npm's
 * package-lock v3 `packages` map of the whole installed tree, minus the root project, which is
 * derived from the entry itself (see lock.ts). It lives inside the signed entry, so the catalog
 * signature covers every dependency's exact version, tarball URL and integrity.
 *
 * Strict: unknown keys are errors. Keys are install paths made of npm package names only, so a
 * signed lock cannot name a path outside the install directory.
 */
import { z } from 'zod';
import { SRI } from './sri.ts';

/** One npm package name: scoped or not; never `.`/`..`, no path separators in a segment. */
const NAME = String.raw`(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*`;
/** `node_modules/a`, `node_modules/@s/b/node_modules/c`, … */
export const LOCK_KEY = new RegExp(`^node_modules\\/${NAME}(?:\\/node_modules\\/${NAME})*$`);
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

const depMap = z.record(z.string().max(214), z.string().max(1024));

export const lockEntrySchema = z
  .strictObject({
    /** Only when the install path's name differs from the package's (an npm alias). */
    name: z
      .string()
      .regex(new RegExp(`^${NAME}$`), 'name must be an npm package name')
      .optional(),
    version: z.string().regex(EXACT_VERSION, 'version must be an exact semver version'),
    resolved: z
      .string()
      .url()
      .refine((u) => u.startsWith('https://') || u.startsWith('http://'), {
        message: 'resolved must be an http(s) tarball URL (git, file and link dependencies cannot be pinned)',
      })
      .optional(),
    integrity: z
      .string()
      .regex(SRI, "integrity must be a Subresource Integrity string such as 'sha512-…'")
      .optional(),
    /** Shipped inside its parent's tarball (bundleDependencies): covered by the parent's integrity. */
    inBundle: z.literal(true).optional(),
    dependencies: depMap.optional(),
    optionalDependencies: depMap.optional(),
    peerDependencies: depMap.optional(),
    peerDependenciesMeta: z
      .record(z.string(), z.strictObject({ optional: z.boolean().optional() }))
      .optional(),
    optional: z.boolean().optional(),
    peer: z.boolean().optional(),
    bin: z.record(z.string(), z.string()).optional(),
    os: z.array(z.string()).optional(),
    cpu: z.array(z.string()).optional(),
    libc: z.array(z.string()).optional(),
    /** Recorded so operators see it; install scripts never run (`--ignore-scripts`). */
    hasInstallScript: z.boolean().optional(),
  })
  .refine((e) => e.inBundle === true || (e.resolved !== undefined && e.integrity !== undefined), {
    message:
      'every locked package needs resolved and integrity (a registry tarball), unless it is bundled inside its parent',
  });

export const lockSchema = z.strictObject({
  lockfileVersion: z.literal(3),
  packages: z.record(
    z.string().regex(LOCK_KEY, "lock keys are install paths such as 'node_modules/@scope/name'"),
    lockEntrySchema,
  ),
});

export type LockEntry = z.output<typeof lockEntrySchema>;
export type PackageLock = z.output<typeof lockSchema>;
