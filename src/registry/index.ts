export { RegistryError } from './errors.ts';
export type { RegistryErrorCode } from './errors.ts';
export { pinHash, pinnedView, listHash, PINNED_FIELDS, PIN_RE } from './pin.ts';
export type { PinnedField } from './pin.ts';
export { PinStore, isCallable } from './pin-store.ts';
export type { PinCheck, PinStatus, PinRecord, StoredStatus, FirstSight } from './pin-store.ts';
export type { ObserveResult, ObserveStatus, SplitFlag, SplitReason } from './split-view.ts';
export { definitionDiff, lineDiff } from './diff.ts';
export { REGISTRY_MIGRATIONS } from './migrations.ts';
