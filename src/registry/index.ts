export { RegistryError } from './errors.ts';
export type { RegistryErrorCode } from './errors.ts';
export { pinHash, pinnedView, listHash, PINNED_FIELDS, PINNED_ITEM_FIELDS, PIN_RE } from './pin.ts';
export type { PinnedField, PinKind } from './pin.ts';
export { PinStore, isCallable } from './pin-store.ts';
export type { PinCheck, PinStatus, PinRecord, StoredStatus, FirstSight } from './pin-store.ts';
export type { ObserveResult, ObserveStatus, SplitFlag, SplitReason } from './split-view.ts';
export { definitionDiff, lineDiff } from './diff.ts';
export { REGISTRY_MIGRATIONS } from './migrations.ts';
export { catalogSchema, catalogEntrySchema, signedCatalogSchema, NPM_SPEC, SRI } from './catalog-schema.ts';
export type { Catalog, CatalogEntry, CatalogInput, SignedCatalog } from './catalog-schema.ts';
export {
  generateCatalogKeys,
  writeCatalogKeys,
  catalogKeyId,
  parseCatalog,
  parseCatalogSource,
  upsertCatalogEntry,
  signCatalog,
  verifyCatalog,
} from './catalog.ts';
export type { CatalogKeyPair } from './catalog.ts';
export { parsePackageSpec, fetchNpmMetadata, catalogEntryFromNpm, verifyTarball } from './npm.ts';
export type {
  PackageSpec,
  NpmMetadata,
  FetchNpmOptions,
  LocalEntryFields,
  IntegrityErrorCode,
} from './npm.ts';
export { admitServer, checkCatalogTools } from './admission.ts';
export type { AdmissionCode, LaunchRequest, CatalogToolCheck } from './admission.ts';
export { guardToolList, guardItemList } from './guard.ts';
export type {
  GuardOptions,
  GuardResult,
  ToolDecision,
  DecisionReason,
  SuspiciousAction,
  ItemGuardOptions,
  ItemGuardResult,
  ItemDecision,
} from './guard.ts';
export { installVerified } from './install.ts';
export type { InstallOptions, InstalledPackage } from './install.ts';
export { extractTgz } from './tar.ts';
export { lockSchema, lockEntrySchema, LOCK_KEY } from './lock-schema.ts';
export type { PackageLock, LockEntry } from './lock-schema.ts';
export {
  npmNetworkEnv,
  resolveLock,
  lockFromNpm,
  lockfileText,
  rootManifest,
  verifyInstalledTree,
} from './lock.ts';
export type { NpmRunner } from './lock.ts';
export { installLocked, lockHash } from './lock-install.ts';
export type { LockedInstall } from './lock-install.ts';
