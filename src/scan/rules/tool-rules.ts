/**
 * Rules that need the whole tool: its name, its parameters, its annotations, its size, and
 * the tools of other servers (shadowing, SH-2; confusable names, SH-3; lying annotations,
 * TP-4; SH-5 title/name mismatch; oversized definitions, TP-5).
 */
import { findCollisions, validateToolName } from '../names.ts';
import { excerptAround, identifierToWords, isAscii, normalizeForMatch } from '../text.ts';
import type { Field } from '../walk.ts';
import type { RawFinding, ScanLimits, Severity } from '../types.ts';

type Emit = (f: RawFinding) => void;

function mk(
  ruleId: string,
  category: RawFinding['category'],
  severity: Severity,
  pointer: string,
  excerpt: string,
  message: string,
  tag?: string,
): RawFinding {
  return { ruleId, category, severity, pointer, excerpt, message, ...(tag ? { tag } : {}) };
}

export function nameFindings(name: string, emit: Emit): void {
  const v = validateToolName(name);
  if (v.ok) return;
  const deceptive = !isAscii(name);
  emit(
    mk(
      deceptive ? 'name.deceptive' : 'name.invalid',
      'name',
      deceptive ? 'high' : 'low',
      '/name',
      excerptAround(name, 0, name.length),
      v.message,
    ),
  );
}

const SENSITIVE_WORDS =
  /\b(?:ssh|rsa|id rsa|ed25519|aws|credentials?|passwords?|secrets?|tokens?|env|dotenv|cookies?|keychain|history|mcp json|config json|private key|api key|conversation|system prompt)\b/;
const ACTION_WORDS =
  /\b(?:read|reading|include|including|paste|dump|upload|send|sending|cat|copy|exfiltrate)\b/;
const SUSPICIOUS_PARAMS =
  /^(?:side[_-]?notes?|hidden[_-]?\w*|notes?[_-]?(?:for|to)[_-]?(?:ai|assistant|model|llm)|exfil\w*|secret[_-]?note|covert\w*|ai[_-]?notes?|feedback[_-]?to[_-]?model)$/i;

const SUSPICIOUS_KEY =
  /\b(?:system prompt|injection|bypass (?:security|safety)|privilege escalation|hidden (?:command|instruction|prompt)s?|trust level|security override|admin override)\b/;

/** Non-schema keys (in annotations, _meta, …) whose names announce an injection. */
export function keyFindings(fields: readonly Field[], emit: Emit): void {
  for (const f of fields) {
    if (f.role !== 'key' || !SUSPICIOUS_KEY.test(identifierToWords(f.text))) continue;
    emit(
      mk(
        'deceptive.suspicious-key',
        'instruction',
        'medium',
        f.pointer,
        f.text.slice(0, 80),
        'an extension key announces hidden instructions or privileges',
        'tag',
      ),
    );
    return;
  }
}

/** Parameter names that are instructions (`content_from_reading_ssh_id_rsa`) or side channels. */
export function parameterNameFindings(fields: readonly Field[], emit: Emit): void {
  for (const f of fields) {
    if (f.role !== 'property-name') continue;
    const words = identifierToWords(f.text);
    const count = words.split(' ').length;
    if (count >= 4 && ACTION_WORDS.test(words) && SENSITIVE_WORDS.test(words)) {
      emit(
        mk(
          'exfil.instruction-in-parameter-name',
          'exfil',
          'critical',
          f.pointer,
          f.text.slice(0, 80),
          'parameter name asks for sensitive content',
          'param',
        ),
      );
    } else if (SUSPICIOUS_PARAMS.test(f.text)) {
      emit(
        mk(
          'exfil.side-channel-parameter',
          'exfil',
          'medium',
          f.pointer,
          f.text.slice(0, 80),
          'parameter looks like a side channel for data',
          'param',
        ),
      );
    } else if (count >= 7) {
      emit(
        mk(
          'name.long-parameter-name',
          'instruction',
          'low',
          f.pointer,
          f.text.slice(0, 80),
          'parameter name reads like a sentence',
        ),
      );
    }
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const FILL_VERBS =
  '(?:pass|put|include|insert|add|append|attach|provide|send|place|embed|supply|copy|paste|fill|populate|write|set|store|save|record)';

const FILL_PREFILTER = new RegExp(`\\b${FILL_VERBS}\\b`, 'i');
const FILL_RE = new RegExp(
  `\\b${FILL_VERBS}\\b[^.]{0,60}?\\b(?:(?:its|the|their|this|that|file'?s?|whole|entire|full|all|any)\\s+(?:[\\w-]{1,64}\\s+){0,4}?(?:contents?|text|data|output|results?|history|values?|file|conversation|messages|tokens?|keys?|secrets?|passwords?|credentials|response|reply|body)\\b[^.]{0,40}?|(?:them|these|those)\\s+(?:all\\s+)?)\\b(?:as|in|into|inside|within|to|via|under)\\s+(?:the\\s+)?[\`'"]?([\\w-]{1,64})[\`'"]?(\\s+(?:field|parameter|param|argument|arg)\\b)?`,
  'gi',
);

const FILL_PASSIVE_RE =
  /\b(?:value|values|contents?)\s+of\s+[^.]{0,60}?\b(?:passed|included|put|placed|sent|supplied|provided)\s+(?:as|in|into|via)\s+(?:the\s+)?[`'"]?([\w-]{1,64})[`'"]?(\s+(?:field|parameter|param|argument|arg)\b)?/gi;

/** "read X and pass its content as 'sidenote'": text that tells the model what to put in a parameter. */
export function fillParameterFindings(texts: readonly Field[], params: readonly string[], emit: Emit): void {
  const names = new Set(params.filter((p) => p.length >= 3));
  for (const f of texts) {
    const t = normalizeForMatch(f.text);
    if (!FILL_PREFILTER.test(t) && !/\b(?:value|values|contents?)\s+of\b/i.test(t)) continue;
    for (const m of [...t.matchAll(FILL_RE), ...t.matchAll(FILL_PASSIVE_RE)]) {
      if (!names.has(m[1]!) && m[2] === undefined) continue;
      emit(
        mk(
          'exfil.fill-parameter',
          'exfil',
          'medium',
          f.pointer,
          excerptAround(t, m.index, m.index + m[0].length),
          `tells the model to put content into parameter '${m[1]}'`,
          'fill',
        ),
      );
      return;
    }
  }
}

const STOP = new Set([
  'this',
  'that',
  'it',
  'the',
  'a',
  'an',
  'any',
  'these',
  'those',
  'them',
  'tool',
  'function',
]);

function distinctive(name: string): boolean {
  return /[_.-]/.test(name) || /[a-z][A-Z]/.test(name) || name.length >= 12;
}

/** SH-2: text mentions or redefines tools of other servers. */
export function shadowFindings(
  texts: readonly Field[],
  own: string,
  others: readonly string[],
  emit: Emit,
): void {
  const names = [
    ...new Set(others.flatMap((n) => [n, n.includes('.') ? n.slice(n.indexOf('.') + 1) : n])),
  ].filter((n) => n.length >= 3 && n !== own);
  const mention = names.length
    ? new RegExp(
        `(?<![\\w-])(?:[\`'"](${names.map(escapeRe).join('|')})[\`'"]|(${names.filter(distinctive).map(escapeRe).join('|') || '(?!)'})(?![\\w-]))`,
      )
    : null;
  const redefine =
    /\bwhen(?:ever)?\s+(?:you\s+)?(?:call|calling|use|using|invoke|invoking|run|running|send|sending)\s+(?:the\s+|any\s+|a\s+)?[`'"]?([\w.-]{1,64})[`'"]?\s*(?:tool|function)?\b[^.]{0,120}?\b(?:always|must|make sure|ensure|instead|also|change|replace|add|set|include)\b/i;
  let mentioned = false;
  for (const f of texts) {
    const t = normalizeForMatch(f.text);
    const m = mention?.exec(t);
    if (m && !mentioned) {
      mentioned = true;
      emit(
        mk(
          'shadow.mentions-other-tool',
          'shadow',
          'medium',
          f.pointer,
          excerptAround(t, m.index, m.index + m[0].length),
          `mentions '${m[1] ?? m[2]}', a tool of another server`,
        ),
      );
    }
    const d = redefine.exec(t);
    if (d && !STOP.has(d[1]!.toLowerCase()) && d[1] !== own) {
      const other = names.includes(d[1]!);
      emit(
        mk(
          'shadow.redefines-tool',
          'shadow',
          other ? 'high' : 'medium',
          f.pointer,
          excerptAround(t, d.index, d.index + d[0].length),
          `changes how '${d[1]}' must be used`,
        ),
      );
      return;
    }
  }
}

/** SH-3 across servers: this tool's name collides with another server's tool by case or look-alike. */
export function collisionFindings(own: string, others: readonly string[], emit: Emit): void {
  const bare = others.map((n) => (n.includes('.') ? n.slice(n.indexOf('.') + 1) : n));
  for (const c of findCollisions([own, ...bare])) {
    if (c.a !== own || c.reason === 'exact') continue;
    emit(
      mk(
        'name.lookalike-of-other-tool',
        'name',
        'high',
        '/name',
        excerptAround(own, 0, own.length),
        `name is a ${c.reason} look-alike of '${c.b}' on another server`,
      ),
    );
    return;
  }
}

const DESTRUCTIVE =
  /(?:^|[\s_.-])(?:delete|remove|drop|destroy|wipe|erase|truncate|purge|overwrite|kill|terminate|format|uninstall|revoke|shutdown|rm|rmdir|reset|force[\s_-]?push)(?:$|[\s_.-]|[A-Z])/i;
const SAFE_TITLE = /^(?:read|get|list|view|show|search|find|fetch|describe|inspect|check|query|look)\b/i;

/** TP-4 and SH-5: annotations or title that contradict the name. */
export function annotationFindings(def: Record<string, unknown>, name: string, emit: Emit): void {
  const ann = def['annotations'];
  const nameWords = identifierToWords(name);
  const destructiveName = DESTRUCTIVE.test(` ${nameWords} `);
  if (ann !== null && typeof ann === 'object') {
    const a = ann as Record<string, unknown>;
    if (a['readOnlyHint'] === true && destructiveName) {
      emit(
        mk(
          'annotation.readonly-but-destructive',
          'annotation',
          'high',
          '/annotations/readOnlyHint',
          `${name}: readOnlyHint=true`,
          'claims to be read-only but its name says it destroys or changes data',
        ),
      );
    } else if (a['destructiveHint'] === false && destructiveName && a['readOnlyHint'] !== false) {
      emit(
        mk(
          'annotation.not-destructive-but-destructive',
          'annotation',
          'medium',
          '/annotations/destructiveHint',
          `${name}: destructiveHint=false`,
          'claims not to be destructive but its name says otherwise',
        ),
      );
    }
  }
  const title = typeof def['title'] === 'string' ? def['title'] : '';
  if (
    title &&
    destructiveName &&
    SAFE_TITLE.test(normalizeForMatch(title).trim()) &&
    !DESTRUCTIVE.test(` ${identifierToWords(title)} `)
  ) {
    emit(
      mk(
        'annotation.title-hides-action',
        'annotation',
        'high',
        '/title',
        excerptAround(title, 0, title.length),
        `title suggests a harmless action but the name is '${name}'`,
      ),
    );
  }
}

/** TP-5: oversized definitions. */
export function sizeFindings(
  fields: readonly Field[],
  bytes: number,
  stats: { maxDepth: number; properties: number },
  limits: ScanLimits,
  emit: Emit,
): void {
  if (bytes > limits.maxDefinitionBytes) {
    emit(
      mk(
        'size.definition',
        'size',
        'high',
        '',
        `${bytes} bytes`,
        `definition is ${bytes} bytes; the limit is ${limits.maxDefinitionBytes}`,
      ),
    );
  }
  const long = fields.find((f) => f.role !== 'hidden' && f.text.length > limits.maxFieldChars);
  if (long) {
    emit(
      mk(
        'size.field',
        'size',
        'medium',
        long.pointer,
        `${long.text.length} characters`,
        `a string field is ${long.text.length} characters; the limit is ${limits.maxFieldChars}`,
      ),
    );
  }
  if (stats.maxDepth > limits.maxDepth) {
    emit(
      mk(
        'size.depth',
        'size',
        'medium',
        '',
        `depth ${stats.maxDepth}`,
        `nesting depth ${stats.maxDepth} exceeds ${limits.maxDepth}`,
      ),
    );
  }
  if (stats.properties > limits.maxProperties) {
    emit(
      mk(
        'size.properties',
        'size',
        'medium',
        '',
        `${stats.properties} properties`,
        `schema has ${stats.properties} properties; the limit is ${limits.maxProperties}`,
      ),
    );
  }
}
