export type {
  Decision,
  PolicyAction,
  PolicyContext,
  PolicyPrincipal,
  PolicyRequest,
  PolicyResource,
  VisibilityContext,
} from './types.ts';
export type { PolicyEngineOptions, ReloadResult } from './engine.ts';
export type { CompiledPolicy } from './compile.ts';
export { PolicyEngine } from './engine.ts';
export { DEFAULT_DENY_ID } from './compile.ts';
export { explain } from './explain.ts';
export { jsonToCedar } from './convert.ts';
export type { Conversion } from './convert.ts';
export { wardenSchema, wardenSchemaText } from './cedar-schema.ts';
export { resourceLabel } from './request.ts';
export { PolicyError } from './errors.ts';
export type { PolicyErrorCode } from './errors.ts';
