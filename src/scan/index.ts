export { ScanError } from './errors.ts';
export type { ScanErrorCode } from './errors.ts';
export { validateToolName, nameSkeleton, collisionKeys, findCollisions, TOOL_NAME_MAX } from './names.ts';
export type { ToolNameErrorCode, Collision, CollisionReason } from './names.ts';
export { confusableSources } from './confusables.ts';
export {
  normalizeForDisplay,
  stripInvisible,
  hasInvisible,
  decodeTagText,
  invisibleKind,
} from './unicode.ts';
export type { InvisibleKind } from './unicode.ts';
export { scanTool, scanTools } from './scanner.ts';
export { scanItem, scanItems, scanPrompt, scanResource, scanResourceTemplate, ITEM_KEY } from './items.ts';
export { SEVERITY_WEIGHT, MALICIOUS_SCORE, SUSPICIOUS_SCORE } from './verdict.ts';
export { DEFAULT_LIMITS, ITEM_KINDS } from './types.ts';
export type {
  Finding,
  Severity,
  Verdict,
  ScanContext,
  ScanLimits,
  ToolDefinition,
  ToolScanResult,
  ItemKind,
  ItemScanResult,
} from './types.ts';
export { parseToolList, parseDefinitionLists } from './schema.ts';
export type { DefinitionLists } from './schema.ts';
export { toSarif, maxSeverity, hasFindingAtLeast } from './sarif.ts';
export type { SarifOptions } from './sarif.ts';
