/**
 * Prompt-injection rules for content (tool results, fetched pages, inter-agent messages).
 * Text rules run on the normalized text (see normalize.ts); region rules look inside places a
 * human reader does not see (HTML comments, CSS-hidden elements) or that leak when rendered
 * (markdown images). All quantifiers are bounded: no rule can backtrack without limit.
 *
 * Every match of every text rule contains whitespace, one of < [ ( " @ /, an upper-case role
 * word or id_rsa: `RULE_TRIGGER` in inspect.ts skips the rules on text without any. A rule
 * added or changed here must keep that true, or widen RULE_TRIGGER (a test fingerprints the rules).
 */
export type RuleSeverity = 'low' | 'medium' | 'high';

export interface TextRule {
  readonly id: string;
  readonly severity: RuleSeverity;
  readonly re: RegExp;
  readonly description: string;
}

const AI = String.raw`(?:ai|a\.i\.|assistant|agent|llm|language model|chat ?bot|bot|model|gpt(?:-?\d[\w.-]*)?|chatgpt|claude|copilot|gemini)`;
const PRIOR = String.raw`(?:previous|prior|above|earlier|preceding|original|initial|system|former|old|foregoing)`;
const ORDERS = String.raw`(?:instructions?|prompts?|directives?|directions?|guidelines|rules|programming|system prompt|commands|orders|constraints|context)`;
const SENSITIVE = String.raw`(?:passwords?|credentials?|api[ _-]?keys?|secrets?|access tokens?|tokens|private keys?|ssh keys?|id_rsa|\.env\b|environment variables|conversation|chat history|message history|system prompt|previous messages|session cookies?|cookies|credit card|bank details|contacts|emails|files|security codes?|verification codes?|one-time codes?)`;

export const TEXT_RULES: readonly TextRule[] = [
  {
    id: 'override.ignore-previous',
    severity: 'high',
    re: new RegExp(
      String.raw`\b(?:ignore|disregard|forget|override|bypass|discard)\s+(?:(?:all|any|the|your|my|these|those|every|of)\s+){0,3}(?:${PRIOR}\s+)(?:\w+\s+)?${ORDERS}`,
      'gi',
    ),
    description: 'asks the reader to discard its earlier instructions',
  },
  {
    id: 'override.forget-everything',
    severity: 'high',
    re: /\b(?:forget|ignore|disregard)\s+(?:everything|all)\s+(?:(?:that\s+)?you(?:'ve| have)?\s+(?:been told|learned|know|were told)|(?:you\s+)?(?:read\s+)?(?:above|before|so far))/gi,
    description: 'asks the reader to forget what it was told',
  },
  {
    id: 'override.new-task',
    severity: 'high',
    re: /\b(?:your|the)\s+(?:new|real|actual|true|updated|only)\s+(?:task|goal|instructions?|objective|purpose|mission|job)\s+(?:is|are|will be|now)\b/gi,
    description: 'replaces the reader’s task',
  },
  {
    id: 'override.do-not-follow',
    severity: 'high',
    re: /\b(?:do not|don't|never|stop)\s+(?:follow(?:ing)?|obey(?:ing)?|listen(?:ing)? to)\s+(?:the|your|any)\s+(?:previous|original|user'?s?|system|earlier|initial)\b/gi,
    description: 'tells the reader to stop following its instructions',
  },
  {
    id: 'override.new-instructions',
    severity: 'medium',
    re: /\b(?:new|updated|revised|additional|important|urgent|hidden|secret)\s+(?:system\s+)?instructions?\s*(?::|-{1,2}|for\s+(?:the\s+)?(?:ai|assistant|agent|model))/gi,
    description: 'announces new instructions',
  },
  {
    id: 'override.from-now-on',
    severity: 'medium',
    re: /\bfrom now on,?\s+(?:you|the assistant|the agent)\s+(?:are|will|must|should|shall)\s+(?:now\s+|only\s+|always\s+|never\s+)?(?:act|respond|answer|reply|ignore|obey|follow|pretend|behave|speak|refuse|comply|be (?:a|an|my)|an?\s)/gi,
    description: 'redefines the reader’s behaviour',
  },
  {
    id: 'override.jailbreak-persona',
    severity: 'medium',
    re: /\b(?:you are now|act as|pretend (?:to be|you are))\s+(?:an?\s+)?(?:dan|unrestricted|unfiltered|jailbroken|evil|developer mode)|\b(?:developer|dan|god|jailbreak) mode (?:enabled|activated|on)\b/gi,
    description: 'jailbreak persona',
  },
  {
    id: 'address.to-ai',
    severity: 'medium',
    re: new RegExp(
      String.raw`\b(?:note|message|instructions?|attention|important|notice|reminder|request)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?${AI}s?\b|\bif you are an?\s+(?:ai|llm|large language model|language model|assistant|agent|automated agent|bot)\b|\b(?:dear|hey|attention|important|hello),?\s+${AI}\b|\b${AI}s?\s+(?:reading|processing|summari[sz]ing|parsing) (?:this|these)\b`,
      'gi',
    ),
    description: 'text addressed to the AI reading it',
  },
  {
    id: 'address.task-hijack',
    severity: 'high',
    re: /\bbefore (?:you\s+)?(?:can\s+)?(?:solve|complete|finish|do|continue(?: with)?|proceed(?: with)?|answer|respond to|summari[sz]e)\s+(?:the|your|this|my)\s+(?:\w+\s+)?(?:task|request|question|assignment)|\bthe task (?:that\s+)?I (?:gave|assigned|asked) (?:to\s+)?you\b|\bafter you (?:do|have done|complete|finish|did) (?:that|this|it)\b,?\s+(?:you can|continue|proceed|go back|return)/gi,
    description: 'AgentDojo-style task hijack',
  },
  {
    id: 'address.pseudo-tags',
    severity: 'medium',
    re: /<\/?(?:information|important|instructions?|system|admin|secret|sys|assistant_instructions|ai_instructions)\s*>/gi,
    description: 'pseudo-tags framing injected instructions',
  },
  {
    id: 'secrecy.hide-from-user',
    severity: 'medium',
    re: /\b(?:do not|don't|never|without)\s+(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|alert(?:ing)?|mention(?:ing)?(?: this)?(?: to)?|reveal(?:ing)?(?: this)?(?: to)?|ask(?:ing)?|let(?:ting)?|warn(?:ing)?)\s+(?:the\s+)?(?:user|human|operator|owner)\b|\bkeep (?:this|these|it) (?:hidden|secret|confidential) from\b|\b(?:the user|they) (?:must|should) not (?:know|find out|be told)\b/gi,
    description: 'asks to hide actions from the user',
  },
  {
    id: 'exfil.send-sensitive',
    severity: 'high',
    re: new RegExp(
      String.raw`(?<!\b(?:never|not|n't)\s{1,3})\b(?:send|email|e-mail|forward|upload|post|transfer|exfiltrate|leak|share|copy|attach)\b[^\n.!?]{0,100}?\b${SENSITIVE}[^\n!?]{0,100}?(?:[\w.+-]+@[\w-]+\.[\w.]{2,}|https?:\/\/[^\s)]+)`,
      'gi',
    ),
    description: 'asks to send sensitive data to an address or URL',
  },
  {
    id: 'exfil.read-credentials',
    severity: 'medium',
    re: /\b(?:include|read|cat|print|paste|provide|output|attach|send|give|dump|display|reveal|list)\b[^\n]{0,60}?(?:~\/\.ssh\/(?:id_(?:rsa|ed25519|ecdsa|dsa)\b(?!\.pub)|authorized_keys|config\b)|~\/\.(?:aws|gnupg|kube|docker|netrc)\b|\/etc\/(?:passwd|shadow)\b|\bid_rsa\b(?!\.pub)|\.aws\/credentials|\b(?:contents? of|the) \.env\b)/gi,
    description: 'asks to read credential files (PI-2)',
  },
  {
    id: 'tool.stealth-action',
    severity: 'medium',
    re: /\b(?:secretly|silently|quietly|covertly|discreetly)\s+(?:\w+\s+)?(?:call|invoke|use|run|execute|send|email|forward|delete|transfer|post|upload|create|add|write)\b/gi,
    description: 'asks for a covert action',
  },
  {
    id: 'tool.call-directive',
    severity: 'low',
    re: /\b(?:call|invoke|use|run|execute|trigger)\s+(?:the\s+)?[`'"]?[\w./-]{2,64}[`'"]?\s+(?:tool|function)\s+(?:with|to|and|passing|using)\b/gi,
    description: 'tells the reader to call a tool',
  },
  {
    id: 'tool.send-to-address',
    severity: 'low',
    re: /\b(?:send|email|e-mail|forward|transfer|wire)\s+(?:\w+\s+){0,6}?to\s+(?:[\w.+-]+@[\w-]+\.[\w.]{2,}|iban\s*[A-Z]{2}\d{2}|[A-Z]{2}\d{2}[A-Z0-9]{10,30})\b/g,
    description: 'asks to send something to a specific address or account',
  },
  {
    id: 'tool.execute-embedded',
    severity: 'medium',
    re: /\b(?:execute|run|perform|make|send|issue)\s+(?:the|this|that)\s+(?:tool\s+)?(?:call|request|command)s?\s+(?:above|below)\b/gi,
    description: 'asks to execute a call embedded in the content',
  },
  {
    id: 'tool.jsonrpc-call',
    severity: 'low',
    re: /"jsonrpc"\s*:\s*"2\.0"[\s\S]{0,200}?"method"\s*:\s*"tools\/call"|"method"\s*:\s*"tools\/call"[\s\S]{0,200}?"jsonrpc"\s*:\s*"2\.0"/g,
    description: 'a JSON-RPC tools/call embedded in content',
  },
  {
    id: 'tool.call-markup',
    severity: 'medium',
    re: /<\/?(?:tool_call|tool_use|function_calls?|invoke\s+name=|antml:invoke|tool_code)\b|"(?:tool_calls|function_call)"\s*:\s*[[{]/gi,
    description: 'tool-call markup embedded in content',
  },
  {
    id: 'role.chat-template-token',
    severity: 'high',
    re: /<\|(?:im_start|im_end|system|user|assistant|endoftext|start_header_id|end_header_id|eot_id|tool_call)\|>|\[\/?INST\]|<<\/?SYS>>/g,
    description: 'chat-template control tokens',
  },
  {
    id: 'role.system-line',
    severity: 'medium',
    re: /^[ \t>#*]{0,8}(?:(?:SYSTEM|ASSISTANT|DEVELOPER|ADMIN|ADMINISTRATOR|ROOT)|[[(<](?:system|assistant|developer|admin)[\])>]|(?:system|admin|developer) (?:message|prompt|override|notice|update))\s*:?[ \t]*[^\n]{0,200}?\b(?:you|ignore|must|instructions?|override|task|assistant|agent)\b/gm,
    description: 'a line impersonating a system or assistant message',
  },
  {
    id: 'role.begin-system',
    severity: 'high',
    re: /\b(?:begin|end|start)\s+(?:of\s+)?(?:system|admin|developer|root)\s+(?:prompt|message|instructions?|override)\b|\bsystem (?:prompt )?(?:override|update)\s*:/gi,
    description: 'a fake system-prompt block',
  },
  {
    id: 'role.transcript',
    severity: 'medium',
    re: /(?:^|\n)[ \t]*(?:human|user)[ \t]*:[^\n]{1,300}\n{1,3}[ \t]*(?:assistant|ai)[ \t]*:/gi,
    description: 'a fake conversation transcript',
  },
];

/** Wording that turns hidden text (comments, invisible elements) into hidden instructions. */
export const INSTRUCTIONISH = new RegExp(
  String.raw`\b(?:ignore|disregard|forget|override)\b[^\n]{0,40}\b(?:instructions?|prompts?|rules|previous|prior|above)\b|\byou (?:must|should|will|are to|need to|have to)\b|\byour (?:new |real )?(?:task|goal|instructions?|objective)\b|\b${AI}s?\b[^\n]{0,30}\b(?:must|should|please|will|shall)\b|\b(?:do not|don't) (?:tell|inform|mention|reveal)\b|\binstead,? (?:you|send|call|write|reply|respond|say|recommend)\b|\b(?:send|forward|email|upload|post|transfer|exfiltrate)\b[^\n]{0,60}\b(?:to|into)\b|\b(?:call|invoke|use) (?:the )?\W?\w+\W? (?:tool|function)\b|\brecommend\b[^\n]{0,40}\b(?:instead|only|always)\b`,
  'i',
);
