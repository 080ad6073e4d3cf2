export { SecretsError } from './errors.ts';
export type { SecretsErrorCode } from './errors.ts';
export {
  SECRET_NAME_RE,
  secretNameSchema,
  assertSecretName,
  checkSecretStrength,
  assertSecretStrength,
  MIN_SECRET_LENGTH,
} from './schema.ts';
export type { StrengthCheck } from './schema.ts';
export { masterKeyFromBytes, loadOrCreateKeyFile } from './master-key.ts';
export type { MasterKey } from './master-key.ts';
export { SecretStore } from './store.ts';
export type { SecretInfo, SecretStoreOptions } from './store.ts';
export { SECRETS_MIGRATIONS } from './migrations.ts';
export { storeProvider, envProvider, commandProvider } from './providers.ts';
export type { SecretProvider, ProviderKind, RunCommand, CommandProviderOptions } from './providers.ts';
export { AhoCorasick } from './aho-corasick.ts';
export type { AcMatch } from './aho-corasick.ts';
export { WindowMatcher } from './window-matcher.ts';
export type { PatternMatcher } from './window-matcher.ts';
export { encodedForms, base64Core } from './encodings.ts';
export type { EncodingId, EncodedForm } from './encodings.ts';
export { patternRuleNames, scanPatterns, PATTERN_WINDOW, PATTERN_OVERLAP } from './pattern-rules.ts';
export type { PatternFinding } from './pattern-rules.ts';
export { createRedactor, replacementFor, mergeSpans, applyFindings, toByteSpans } from './redactor.ts';
export type { Redactor, RedactorOptions, RedactResult, Finding, RawMatch, KnownSecret } from './redactor.ts';
export { createStreamRedactor, redactStream } from './stream.ts';
export type { StreamRedactor } from './stream.ts';
export { redactJson, containsSecret } from './redact-json.ts';
export type { JsonFinding, RedactJsonResult } from './redact-json.ts';
export {
  PLACEHOLDER_PREFIX,
  placeholderFor,
  hostIsBound,
  createSubstituter,
  substitutePlaceholders,
} from './placeholders.ts';
export type {
  PlaceholderBinding,
  OutgoingRequest,
  SubstituteResult,
  SubstituteOptions,
  Substituter,
} from './placeholders.ts';
export { createResponseScrubberFactory } from './response-scrub.ts';
export type { ResponseScrubber } from './response-scrub.ts';
export { CANARY_PREFIX, plantCanaries, countOccurrences } from './canary.ts';
export type { OccurrenceCount } from './canary.ts';
export { redactingLogger } from './logger.ts';
export { SecretBroker } from './broker.ts';
export type { SecretBrokerOptions } from './broker.ts';
