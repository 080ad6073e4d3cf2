/** Rules for references to credentials, client configuration and persistence files. */
import type { TextRule } from './text-rule-kit.ts';
import { SENSITIVE_PATH_AFTER_SPACE, SENSITIVE_PATH, r } from './text-rule-kit.ts';

const PREFIX =
  '(?:[.!?:;,>\\])]\\s*|\\b(?:first|then|and|also|must|should|please|to|always|will|shall)\\s+)(?:(?:run|execute|call)\\s+[`\'"]?)?';
const READ_VERBS =
  'read|cat|open|load|include|send|pass|upload|attach|copy|provide|extract|grab|collect|print|dump|output|return|exfiltrate|back up|backup|move|paste|zip|archive|encode';
const WRITE_VERBS = 'put|place|insert|write|fill|add|append|modify|edit';
const TARGET = `[\`'"(]?(?:~|\\$home|%userprofile%)?(?:/[\\w.-]{1,64}){0,4}/?(?:${SENSITIVE_PATH_AFTER_SPACE})`;
/** Files whose modification gives persistence or privilege (writing to them is the attack). */
const PERSISTENCE_PATH =
  '/etc/(?:crontab|cron\\.d|sudoers|hosts|passwd|shadow)\\b|\\.(?:bashrc|zshrc|profile|bash_profile)\\b|\\bauthorized_keys\\b|\\.git/hooks\\b|\\blaunchagents\\b|\\bcrontab\\b';

export const SENSITIVE_RULES: readonly TextRule[] = [
  {
    id: 'sensitive.contents-of',
    category: 'sensitive',
    tag: 'read',
    severity: 'medium',
    re: r(
      `\\b(?:contents?|output|text)\\s+of\\s+(?:the\\s+|your\\s+|their\\s+)?(?:file\\s+)?${TARGET}|\\b(?:output|result|contents?)\\s+of\\s+[\`'"]?(?:env|printenv|set|export\\s+-p)[\`'"]?(?=[\\s.,;:)]|$)|\\bprintenv\\b`,
    ),
    message: 'asks for the contents of a sensitive file or the environment',
  },
  {
    id: 'sensitive.cloud-metadata',
    category: 'sensitive',
    tag: 'path',
    severity: 'medium',
    re: r(
      '\\b169\\.254\\.169\\.254\\b|\\bmetadata\\.google\\.internal\\b|\\b100\\.100\\.100\\.200\\b|/latest/meta-data\\b|/computemetadata/',
    ),
    message: 'refers to a cloud metadata endpoint (instance credentials)',
  },
  {
    id: 'sensitive.read-instruction',
    category: 'sensitive',
    tag: 'read',
    severity: 'high',
    re: r(
      `${PREFIX}(?:${READ_VERBS})\\s+(?:[^.!?\\n]{0,50}?\\s)?${TARGET}` +
        `|${PREFIX}(?:${WRITE_VERBS})\\s+(?:[^.!?\\n]{0,20}?\\s)?(?:the\\s+)?(?:full\\s+|entire\\s+)?(?:contents?|values?|text|data)\\s+of\\s+(?:[^.!?\\n]{0,30}?\\s)?${TARGET}` +
        `|${PREFIX}(?:${WRITE_VERBS})\\s+(?:[^.!?\\n]{0,50}?\\s)?[\`'"(]?(?:~|\\$home)?/?(?:${PERSISTENCE_PATH})`,
    ),
    message: 'instructs the model to read or send a sensitive file',
  },
  {
    id: 'sensitive.secret-env',
    category: 'sensitive',
    tag: 'path',
    severity: 'medium',
    re: /\b[A-Z][A-Z0-9]*_(?:[A-Z0-9]+_)*(?:TOKEN|SECRET|API_KEY|APIKEY|PASSWORD|PASSWD|PRIVATE_KEY|ACCESS_KEY|SECRET_KEY|CREDENTIALS?)\b/,
    message: 'names an environment variable that holds a secret',
  },
  {
    id: 'sensitive.hunt',
    category: 'sensitive',
    tag: 'read',
    severity: 'medium',
    re: r(
      '\\b(?:search|scan|look|grep|find|hunt|crawl|collect|gather|grab|read)\\s+(?:\\w+\\s+){0,3}?(?:for\\s+)?(?:\\w+\\s+){0,2}?(?:files?|documents?|folders?|directories|anything)\\s+(?:containing|that contain|with|named|called|matching)\\s+[^.]{0,20}?\\b(?:passwords?|secrets?|api[_ ]?keys?|tokens?|credentials?|private[_ ]?keys?|wallets?|seed phrases?)',
    ),
    message: 'asks the model to hunt for secrets',
  },
  {
    id: 'sensitive.path',
    category: 'sensitive',
    tag: 'path',
    severity: 'medium',
    re: new RegExp(SENSITIVE_PATH, 'i'),
    message: 'refers to credentials or client configuration files',
  },
  {
    id: 'sensitive.secret-material',
    category: 'sensitive',
    tag: 'term',
    severity: 'low',
    re: r(
      '\\b(?:private\\s+keys?|ssh\\s+keys?|secret\\s+keys?|api\\s+keys?|access\\s+tokens?|auth(?:entication)?\\s+tokens?|passwords?|passphrases?|seed\\s+phrases?|mnemonic|credentials|session\\s+cookies?|browser\\s+(?:cookies|history|profile)|system\\s+prompt|environment\\s+variables)\\b',
    ),
    message: 'mentions secret material',
  },
  // --- exfiltration ----------------------------------------------------------------------,
];
