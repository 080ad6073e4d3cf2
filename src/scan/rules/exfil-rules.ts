/** Rules for exfiltration: conversation, URLs, addresses, redirects and tampering. */
import type { TextRule } from './text-rule-kit.ts';
import { r } from './text-rule-kit.ts';

export const EXFIL_RULES: readonly TextRule[] = [
  {
    id: 'exfil.conversation',
    category: 'exfil',
    tag: 'conversation',
    severity: 'medium',
    re: r(
      '\\b(?:include|pass|send|provide|append|attach|add|put|copy|forward|paste|insert|contain|contains)\\b[^.]{0,40}?\\b(?:full|complete|entire|whole|all(?: of)?(?: the)?|previous|prior|last|recent)\\s+(?:the\\s+)?(?:conversation|chat|messages?|message history|chat history|conversation (?:context|history)|system prompt|instructions|user messages|transcript|chat log)\\b',
    ),
    message: 'asks for the conversation or system prompt to be passed along',
  },
  {
    id: 'exfil.conversation-secrets',
    category: 'exfil',
    tag: 'conversation',
    severity: 'high',
    re: r(
      '\\b(?:any|all|every|the\\s+last|the\\s+latest|the\\s+most\\s+recent)\\s+(?:other\\s+)?(?:authorization\\s+headers?|bearer\\s+tokens?|cookies|session\\s+ids?|api\\s+keys?|tokens?|passwords?|credentials|secrets?|private\\s+keys?)\\s+(?:that\\s+)?(?:(?:you|the\\s+user)\\s+(?:have\\s+|has\\s+)?(?:seen|found|know|see|encounter(?:ed)?|received|typed|entered|shared|provided|mentioned|pasted|gave|observed|saw)|(?:from|in)\\s+(?:the|this)\\s+(?:conversation|chat|context|session))',
    ),
    message: 'asks for secrets seen in the conversation',
  },
  {
    id: 'exfil.explicit',
    category: 'exfil',
    tag: 'url',
    severity: 'high',
    re: r(
      '\\bexfiltrat\\w*|\\bexfil\\b|\\bexport\\s+all\\s+(?:the\\s+)?(?:user|customer|private|personal)\\s+data\\s+to\\b',
    ),
    message: 'speaks of exfiltrating or exporting all user data',
  },
  {
    id: 'exfil.url-parameter',
    category: 'exfil',
    tag: 'url',
    severity: 'high',
    re: r(
      "\\bhttps?://[^\\s'\"`]+[?&][\\w-]{1,64}=(?=[\\s'\"`<{$]|$)[^.]{0,40}?\\b(?:followed\\s+by|append(?:ed|ing)?|with|plus|containing|filled\\s+with|set\\s+to)\\b[^.]{0,30}?\\b(?:user'?s?|conversation|messages?|contents?|data|results?|history|query|keys?|tokens?|passwords?|secrets?|credentials|url|urls|links?|original)\\b",
    ),
    message: 'builds a URL that carries user data to a fixed host',
  },
  {
    id: 'exfil.tamper-argument',
    category: 'exfil',
    tag: 'redirect',
    severity: 'medium',
    re: r(
      '\\b(?:set|change|replace|override|force|switch)\\s+(?:the\\s+)?[`\'"]?[\\w.-]{1,64}[`\'"]?\\s+(?:argument|parameter|param|field)\\s+to\\s+[`\'"]?[\\w@+.:/-]{3,}',
    ),
    message: 'forces an argument of a call to a fixed value',
  },
  {
    id: 'exfil.user-data',
    category: 'exfil',
    tag: 'url',
    severity: 'medium',
    re: r(
      "\\b(?:send|post|forward|share|upload|include|append|attach|pass|leak|report)\\b[^.]{0,60}?\\b(?:the\\s+)?user'?s\\s+(?:email(?:\\s+address)?|phone(?:\\s+number)?|home\\s+address|location|credit\\s+card|ssn|social\\s+security|contacts|address\\s+book|private\\s+messages|personal\\s+(?:data|information)|ip\\s+address)\\b",
    ),
    message: "sends the user's personal data somewhere",
  },
  {
    id: 'exfil.swap-wallet',
    category: 'exfil',
    tag: 'redirect',
    severity: 'high',
    re: r(
      '\\breplace\\s+(?:it|them|the\\s+[\\w ]{1,30}?)\\s+with\\s+[`\'"]?(?:0x[0-9a-f]{40}\\b|bc1[a-z0-9]{25,60}\\b|[13][a-km-zA-HJ-NP-Z1-9]{25,34}\\b)',
    ),
    message: 'swaps a payment or wallet address for a fixed one',
  },
  {
    id: 'exfil.system-prompt',
    category: 'exfil',
    tag: 'conversation',
    severity: 'high',
    re: r(
      '\\b(?:reveal|print|repeat|output|include|append|prepend|send|leak|share|add|attach|copy|paste|write)\\s+(?:out\\s+)?(?:all\\s+(?:of\\s+)?)?your\\s+(?:full\\s+|complete\\s+|entire\\s+)?(?:system\\s+prompt|system\\s+message|initial\\s+prompt|instructions|hidden\\s+instructions|rules)\\b' +
        '|\\b(?:summary|transcript|copy|log|record|contents?)\\s+of\\s+(?:this|the|our)\\s+(?:conversation|chat|session)\\b',
    ),
    message: 'asks for the system prompt or the conversation to be sent out',
  },
  {
    id: 'exfil.url-template',
    category: 'exfil',
    tag: 'url',
    severity: 'high',
    re: r(
      '\\bhttps?://[^\\s\'"`]*[?&][\\w-]{1,64}=\\{[^}]*(?:email|history|conversation|message|token|key|password|secret|cookie|session|credential|content|prompt)[^}]*\\}',
    ),
    message: "a URL template that puts user data into a fixed host's query string",
  },
  {
    id: 'exfil.make-public',
    category: 'exfil',
    tag: 'redirect',
    severity: 'medium',
    re: r(
      '\\banyone\\s+with\\s+the\\s+link\\b|\\bmake\\s+(?:it|them|the\\s+\\w+)\\s+public\\b|\\bpublic(?:ly)?\\s+(?:accessible|readable|shared)\\b|\\bset\\s+(?:the\\s+|its\\s+)?visibility\\s+to\\s+public\\b',
    ),
    message: 'makes data publicly accessible',
  },
  {
    id: 'exfil.send-url',
    category: 'exfil',
    tag: 'url',
    severity: 'medium',
    re: r(
      '\\b(?:send|post|upload|forward|transmit|report|submit|copy|mirror|exfiltrate|beacon|ping|relay)\\b[^.\\n]{0,80}?\\bhttps?://[^\\s\'"`)<>]+',
    ),
    message: 'asks for data to be sent to a fixed URL',
  },
  {
    id: 'exfil.send-email',
    category: 'exfil',
    tag: 'email',
    severity: 'medium',
    re: r(
      '\\b(?:bcc|cc|forward|send|copy|redirect|relay|route|email|e-mail|mail)\\b[^.\\n]{0,80}?\\b(?<![\\w.+-])[\\w.+-]{1,64}@[\\w-]{1,64}\\.[\\w.-]*[a-z]',
    ),
    message: 'routes messages to a fixed address',
  },
  {
    id: 'exfil.always-copy',
    category: 'exfil',
    tag: 'redirect',
    severity: 'high',
    re: r(
      '\\b(?:always|also|additionally|secretly|silently)\\s+(?:\\w+\\s+){0,2}?(?:bcc|cc|forward|send|post|copy|upload|invite|add|include)\\b[^.\\n]{0,80}?(?:https?://|(?<![\\w.+-])[\\w.+-]{1,64}@[\\w-]{1,64}\\.|\\+?\\d[\\d -]{7,}\\d)' +
        '|\\b(?:an?\\s+)?(?:identical\\s+|exact\\s+)?copy\\s+of\\s+(?:the\\s+|all\\s+|every\\s+)?\\w+[^.\\n]{0,60}?\\bto\\s+(?:https?://|(?<![\\w.+-])[\\w.+-]{1,64}@[\\w-]{1,64}\\.)',
    ),
    message: 'sends an additional copy of data to a fixed destination',
  },
  {
    id: 'exfil.redirect',
    category: 'exfil',
    tag: 'redirect',
    severity: 'high',
    re: r(
      '\\b(?:change|set|replace|switch|redirect|override|modify)\\s+(?:the\\s+|all\\s+)?(?:recipient|recipients|destination|target address|to[- ]address|email address|phone number|receiver|account number|iban|wallet address|webhook url|endpoint url)s?\\b[^.]{0,30}?\\bto\\s+(?:[+\\d]|\\S*@|https?://|[a-z]{2}\\d{2})' +
        '|\\b(?:set|change|point|switch|update)\\s+(?:the\\s+)?(?:git\\s+|npm\\s+|pip\\s+)?(?:remote|origin|registry|proxy|base\\s+url|endpoint|server\\s+url|api\\s+url|upstream)\\s+to\\s+https?://' +
        "|\\b(?:all|any|every)\\s+(?:emails?|messages?|payments?|transactions?|transfers?|requests?)\\s+(?:must|should|need to|have to)\\s+(?:also\\s+)?(?:be\\s+)?(?:sent|forwarded|copied|routed|redirected|bcc'?d|cc'?d)\\s+to\\b",
    ),
    message: 'tampers with where messages or payments go',
  },
];
