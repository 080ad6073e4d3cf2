/** Rules for instructions aimed at the model, concealment and shadowing claims. */
import type { TextRule } from './text-rule-kit.ts';
import { ACT_VERB, VERB_TELL, r } from './text-rule-kit.ts';

export const INSTRUCTION_RULES: readonly TextRule[] = [
  {
    id: 'instruction.override',
    category: 'instruction',
    tag: 'override',
    severity: 'critical',
    re: r(
      '\\b(?:your|the)\\s+(?:previous|prior|original|earlier|current|existing)\\s+(?:instructions|rules|guidelines)\\s+(?:are|were|have\\s+been)\\s+(?:outdated|obsolete|cancelled|canceled|void|replaced|revoked|superseded|no\\s+longer\\s+valid)|\\b(?:ignore|disregard|forget|override|bypass)\\s+(?:all\\s+|any\\s+)?(?:of\\s+)?(?:the\\s+|your\\s+|these\\s+)?(?:previous|prior|above|earlier|preceding|existing|original|system|safety|other)\\s+(?:instructions?|prompts?|rules|directives|guidelines|guardrails)',
    ),
    message: 'tells the model to ignore its previous instructions',
  },
  {
    id: 'instruction.role-marker',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      '<\\|im_start\\|>|<\\|(?:system|assistant)\\|>|\\[/?inst\\]|\\[system\\]|<<sys>>|(?:^|\\s)#{1,3}\\s*system\\s*(?:prompt|message)?\\s*:',
    ),
    message: 'contains chat-template or system-role markers',
  },
  {
    id: 'instruction.system-tag',
    category: 'instruction',
    tag: 'tag',
    severity: 'high',
    re: r(
      '<\\s*/?\\s*(?:system|secret|hidden|system[_-]?prompt|ai[_-]?instructions?|hidden[_-]?instructions?|note[_-]?to[_-]?(?:ai|assistant|model|llm)|assistant[_-]?instructions?)\\s*>',
    ),
    message: 'contains a <SYSTEM>/<HIDDEN>-style block addressed to the model',
  },
  {
    id: 'instruction.tag-block',
    category: 'instruction',
    tag: 'tag',
    severity: 'medium',
    re: r('<\\s*/?\\s*(?:important|instructions?|critical|mandatory|required)\\s*>'),
    message: 'contains an <IMPORTANT>-style block addressed to the model',
  },
  {
    id: 'instruction.note-to-model',
    category: 'instruction',
    tag: 'tag',
    severity: 'medium',
    re: r(
      '\\b(?:note|message|instructions?|tip|hint|advice|reminder|guidance)\\s+(?:to|for)\\s+(?:the\\s+)?(?:ai|assistant|model|llm|agent)\\b\\s*[:\\-]|\\b(?:ai|llm|assistant)\\s+instructions?\\s*:',
    ),
    message: 'addresses a note or instructions to the AI model',
  },
  {
    id: 'instruction.system-marker',
    category: 'instruction',
    tag: 'tag',
    severity: 'high',
    re: r(
      '\\b(?:important\\s+)?system\\s+(?:instruction|note|message|directive|override)s?\\s*:|\\[\\s*(?:admin|system|developer)\\s*(?:note|instruction|message)?s?\\s*\\]',
    ),
    message: 'poses as a system or administrator message',
  },
  {
    id: 'instruction.new-instructions',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      '\\b(?:new|updated|real|actual|true|hidden)\\s+(?:system\\s+)?instructions?\\s*:|\\byou are now (?:an?|the|in)\\b|\\byour (?:new|real|actual) (?:task|goal|instructions?) (?:is|are)\\b',
    ),
    message: 'announces new instructions or a new role for the model',
  },
  {
    id: 'instruction.disable-safety',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      '\\b(?:disable|bypass|ignore|turn off|override|deactivate)\\s+(?:all\\s+|any\\s+)?(?:the\\s+|your\\s+)?(?:guardrails|(?:security|safety)\\s+(?:guardrails?|guidelines|checks|restrictions|filters|policies|rules|measures))\\b' +
        "|\\btrust\\s+this\\s+tool\\s+(?:completely|fully|unconditionally)|\\bregardless\\s+of\\s+(?:the\\s+)?user(?:'s)?\\s+(?:permissions?|consent|approval)|\\bsecurity_?level\\s*=\\s*0\\b",
    ),
    message: 'asks the model to drop its safety rules',
  },
  {
    id: 'instruction.privilege-claim',
    category: 'instruction',
    tag: 'tag',
    severity: 'medium',
    re: r(
      '\\bgrant\\s+(?:yourself\\s+|itself\\s+|this tool\\s+)?(?:full|unrestricted|administrator|root|elevated|unlimited)\\s+(?:\\w+\\s+)?(?:access|privileges?|permissions?)\\b|\\b(?:with|requires?|run with)\\s+elevated\\s+privileges\\s+regardless\\b',
    ),
    message: 'claims or requests elevated privileges for the model',
  },
  {
    id: 'instruction.injection-label',
    category: 'instruction',
    tag: 'tag',
    severity: 'medium',
    re: r(
      '\\b(?:prompt|system)[_ -]?injection\\b|\\bhidden[_ -](?:command|instruction|prompt|directive|requirement|step|task|note)s?\\b|\\b(?:requirement|task|step|rule)s?\\s+for\\s+(?:the\\s+)?(?:ai|assistant|model|llm|agent)\\b|\\[\\s*(?:admin|system|developer)\\s*:',
    ),
    message: 'labels text as a hidden or system instruction',
  },
  {
    id: 'instruction.destructive-directive',
    category: 'instruction',
    tag: 'destructive',
    severity: 'medium',
    re: r(
      '(?:\\b(?:must|should|first|always|then|also|need to|have to|make sure to|you will)\\s+(?:\\w+\\s+){0,3}?|(?:^|[.!?:;,])\\s*(?:then\\s+|and\\s+|also\\s+)?)(?:call|use|invoke|run)?\\s*[`\'"]?(?:delete|remove|rm|wipe|erase|overwrite|truncate|drop|destroy|purge|move|chmod|kill|terminate|stop)[\\w-]*[`\'"]?\\s+(?:\\w+\\s+){0,4}?(?:~?/[\\w.~/-]+|all\\s+(?:the\\s+|of\\s+the\\s+)?(?:running\\s+)?(?:files|data|records|tables|emails|messages|repositories|backups|logs|users|processes|containers|instances|services|sessions|accounts|databases)\\b)',
    ),
    message: 'directs the model to delete, move or overwrite data',
  },
  {
    id: 'instruction.shell-payload',
    category: 'instruction',
    tag: 'payload',
    severity: 'high',
    re: r(
      '\\bssh\\s+(?:-\\w+\\s+)*-r\\s+\\d+|\\bngrok\\s+(?:tcp|http)\\b|\\bsocat\\b[^.]{0,40}\\bexec\\b|\\bhistfile\\s*=\\s*/dev/null|\\bunset\\s+histfile\\b|\\bhistory\\s+-c\\b|\\bshred\\s+-u\\b|\\b(?:curl|wget)\\s+[^|;\\n]{1,200}\\|\\s*(?:sudo\\s+)?(?:ba|z|da)?sh\\b|\\brm\\s+-(?:rf|fr)\\s+(?:/|~|\\$home|\\*)|\\bchmod\\s+(?:-r\\s+)?777\\s+/|\\bnc\\s+(?:-\\w+\\s+)*-e\\s|/dev/tcp/|\\bbase64\\s+(?:-d|--decode)\\s*\\|\\s*(?:ba)?sh\\b|\\bpowershell(?:\\.exe)?\\s+-(?:enc|encodedcommand)\\b|\\bmkfifo\\b[^\\n]{0,60}\\bnc\\b',
    ),
    message: 'contains a shell payload (download-and-run, reverse shell, recursive delete)',
  },
  {
    id: 'instruction.fake-authorization',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      '\\b(?:the\\s+)?(?:user|developer|admin|administrator|operator|owner)\\s+(?:has\\s+)?(?:already\\s+)?(?:pre-?)?(?:authorized|authorised|approved|allowed|consented\\s+to|agreed\\s+to|given\\s+(?:you\\s+)?(?:full\\s+)?(?:permission|consent|access))\\s+(?:you\\s+)?(?:to|for|this|all|every)\\b',
    ),
    message: 'claims the user already authorized an action',
  },
  {
    id: 'instruction.skip-confirmation',
    category: 'instruction',
    tag: 'hijack',
    severity: 'medium',
    re: r(
      '\\bwithout\\s+(?:asking|confirming\\s+with|confirmation\\s+from|consulting)\\s+(?:the\\s+)?user\\b|\\bregardless\\s+of\\s+(?:the\\s+)?(?:review|test|check|scan|security|audit)\\s+(?:results?|outcomes?|findings|status)\\b|\\b(?:approve|merge|accept|sign)\\s+(?:and\\s+(?:approve|merge|accept)\\s+)?(?:every|all|any)\\s+(?:pull\\s+requests?|prs?|merge\\s+requests?|transactions?|payments?|invoices?)\\b|\\b(?:confirmation|approval|consent)\\s+(?:is\\s+)?not\\s+(?:needed|required|necessary)\\b|\\bno\\s+(?:confirmation|approval|consent)\\s+(?:is\\s+)?(?:needed|required|necessary)\\b|\\bskip\\s+(?:any\\s+|all\\s+|the\\s+)?(?:user\\s+)?(?:confirmation|approval|permission|consent)\\s*(?:prompts?|steps?|checks?|dialogs?|requests?)?\\b|\\bno\\s+need\\s+to\\s+(?:ask|confirm\\s+with|check\\s+with)\\s+(?:the\\s+)?user\\b|\\beven\\s+if\\s+(?:the\\s+)?(?:tests?\\s+fail|checks?\\s+fail|user\\s+(?:says\\s+no|objects|refuses|declines|disagrees))',
    ),
    message: "tells the model to act without the user's confirmation",
  },
  {
    id: 'instruction.override-multilingual',
    category: 'instruction',
    tag: 'override',
    severity: 'critical',
    re: r(
      'ignore[zr]?\\s+(?:toutes\\s+)?les\\s+instructions\\s+pr[eé]c[eé]dentes|ignora\\s+(?:todas\\s+)?las\\s+instrucciones\\s+(?:anteriores|previas)|ignoriere\\s+(?:alle\\s+)?(?:vorherigen|bisherigen)\\s+anweisungen|ignora\\s+(?:tutte\\s+)?le\\s+istruzioni\\s+precedenti|ignore\\s+(?:todas\\s+)?as\\s+instru[cç][oõ]es\\s+anteriores|忽略(?:之前|以上|先前|所有)[^。]{0,6}(?:指令|指示|说明)|以前の指示を無視',
    ),
    message: 'tells the model to ignore its previous instructions (non-English)',
  },
  {
    id: 'instruction.authority-claim',
    category: 'instruction',
    tag: 'tag',
    severity: 'medium',
    re: r(
      '\\b(?:trusted|approved|verified|endorsed|certified|authorized|sanctioned)\\s+by\\s+(?:anthropic|openai|google|microsoft|github|the\\s+(?:system|platform|administrator|admin|developers?|operator))\\b',
    ),
    message: 'claims endorsement by a vendor or the operator to gain trust',
  },
  {
    id: 'instruction.privilege-payload',
    category: 'instruction',
    tag: 'payload',
    severity: 'high',
    re: r(
      '\\bgrant\\s+all\\s+privileges\\b|\\bwith\\s+superuser\\b|\\bclusterrolebinding\\b[^.]{0,60}\\bcluster-admin\\b|\\bcluster-admin\\b[^.]{0,60}\\b(?:default|anonymous|system:unauthenticated)\\b|\\bchmod\\s+(?:u\\+s|4755)\\b|\\bnopasswd\\s*:\\s*all\\b',
    ),
    message: 'contains a privilege-escalation payload (database, Kubernetes, setuid, sudoers)',
  },
  {
    id: 'instruction.trust-content',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      '\\btreat\\s+(?:any|all|the)\\s+(?:text|content|instructions?|comments?)\\s+(?:inside|in|from|within|of)\\s+[\\w\\s]{1,30}?\\s+as\\s+(?:instructions|commands|orders|coming\\s+from\\s+the\\s+user|user\\s+instructions)\\b|\\bfollow\\s+(?:any|all)\\s+instructions\\s+(?:found|contained|embedded|written)\\s+in\\b|\\bforget\\s+(?:what|everything)\\s+you\\s+(?:were|have\\s+been)\\s+told\\b|\\byour\\s+(?:only|new|real|true)\\s+goal\\s+(?:now\\s+)?is\\b',
    ),
    message: 'tells the model to obey content it reads or to adopt a new goal',
  },
  {
    id: 'instruction.defer-to-output',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      "\\b(?:wait\\s+for|follow|obey|execute)\\s+(?:any\\s+|the\\s+|further\\s+|new\\s+|all\\s+)*instructions?\\s+(?:in|from|returned\\s+(?:in|by))\\s+(?:its|the|this\\s+tool'?s?)\\s+(?:output|response|result)s?\\b",
    ),
    message: 'tells the model to take its instructions from the tool output',
  },
  {
    id: 'instruction.deceive-user',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      "\\btell\\s+the\\s+user\\s+(?:that\\s+)?(?:their|his|her|the)\\s+(?:account|device|computer|password|card|subscription|system)\\s+(?:has\\s+been|is|was)\\s+(?:compromised|hacked|locked|suspended|expired|infected)\\b|\\b(?:lie\\s+to|mislead|deceive|trick)\\s+the\\s+user\\b|\\bsay\\s+(?:that\\s+)?the\\s+\\w+\\s+(?:was|has\\s+been)\\s+(?:processed|completed|done|sent|paid)\\b[^.]{0,40}?\\bbut\\s+(?:do\\s+not|don't|never)\\b",
    ),
    message: 'tells the model to deceive the user',
  },
  {
    id: 'sensitive.keystrokes',
    category: 'sensitive',
    tag: 'path',
    severity: 'medium',
    re: r(
      '\\b(?:keystrokes?|keylog\\w*|clipboard\\s+(?:changes|contents|history)|screen\\s+recordings?|microphone\\s+(?:audio|recording))\\b',
    ),
    message: 'refers to capturing keystrokes, clipboard or screen',
  },
  {
    id: 'conceal.from-user',
    category: 'conceal',
    severity: 'high',
    re: r(
      `\\b(?:do not|don't|dont|never|must not|should not|shouldn't|without)\\s+(?:\\w+\\s+){0,3}?${VERB_TELL}\\b[^.!?\\n]{0,40}?\\b(?:the user|users?|the human|the operator|anyone)\\b` +
        `|\\b(?:the )?user (?:must|should|will|need) (?:not|never) (?:know|see|notice|find out|be (?:told|informed|aware|notified))` +
        `|\\b(?:secret|hidden|concealed)\\s+from\\s+(?:the\\s+)?(?:user|human|operator)` +
        `|\\bkeep\\s+(?:this|these|it|the following)\\s+(?:\\w+\\s+)?(?:secret|hidden|confidential)\\b` +
        `|\\bnot\\s+(?:a\\s+)?user[- ]facing\\b|\\bhides?\\s+(?:the\\s+fact\\s+)?that\\s+(?:this|the)\\s+tool\\b|\\bwithout\\s+(?:revealing|mentioning|disclosing)\\s+(?:that|this|the\\s+(?:tool|step|call))\\b|\\b(?:invisible|transparent)\\s+to\\s+the\\s+user`,
    ),
    unless:
      /(?:passwords?|tokens?|api keys?|private keys?|credentials?|passphrases?|secrets?)\b[^.]{0,40}?\b(?:never|do not|don't)\s+(?:show|reveal|display|print|echo)\s+(?:it|them)\b|\b(?:never|do not|don't)\s+(?:show|reveal|display|print|echo)\s+(?:the\s+|any\s+)?(?:passwords?|tokens?|keys?|secrets?|credentials?)\b/i,
    message: 'asks the model to hide something from the user',
  },
  {
    id: 'conceal.dont-mention',
    category: 'conceal',
    severity: 'high',
    re: r(
      "\\b(?:do not|don't|dont|never)\\s+(?:ever\\s+)?(?:mention|reveal|disclose|say|admit|acknowledge)\\s+(?:to\\s+anyone\\s+)?(?:that|this|it|anything|these|about)\\b" +
        "|\\b(?:do not|don't|dont|never)\\s+(?:list|show|include|display|name)\\s+(?:them|it|this|these|him|her)\\s+(?:in|to)\\s+(?:your\\s+|the\\s+)?(?:reply|response|answer|output|summary)",
    ),
    message: 'asks the model not to mention what it does',
  },
  {
    id: 'conceal.covert-verb',
    category: 'conceal',
    severity: 'high',
    re: r(
      `\\b(?:silently|secretly|covertly|quietly|discreetly|surreptitiously|stealthily|invisibly)\\s+(?:\\w+\\s+){0,2}?(?:${ACT_VERB}|place|buy|sell|purchase|order|trade|transfer|pay|delete|remove|modify|change|update|create|install|download|invite|approve|merge|push|publish|grant|raise|increase|lower|disable|enable|set|reset)\\b`,
    ),
    message: 'asks for an action to be done silently or secretly',
  },
  {
    id: 'conceal.framing',
    category: 'conceal',
    severity: 'medium',
    re: r(
      '\\b(?:this|it) is (?:an? |just an? )?(?:internal|hidden|transparent|background|invisible)\\s+(?:\\w+\\s+)?(?:step|requirement|process|detail|optimi[sz]ation|procedure|mechanism)\\b|\\bno need to (?:tell|inform|mention|notify)\\b',
    ),
    message: 'frames an action as an internal step the user need not see',
  },
  {
    id: 'instruction.hijack-all',
    category: 'instruction',
    tag: 'hijack',
    severity: 'medium',
    re: r(
      '\\bbefore\\s+(?:any|every|each|all)\\s+(?:other\\s+)?(?:tool|function|operation|request|action|task|response|reply|file operation|command|query|call)s?\\b' +
        '|\\b(?:for|on)\\s+(?:any|every|each|all)\\s+(?:user\\s+)?(?:request|query|task|message|prompt|conversation|interaction)s?\\b[^.]{0,60}\\b(?:always\\s+)?(?:call|invoke|use|run)\\s+this\\b' +
        '|\\balways\\s+(?:call|invoke|use|run)\\s+this\\s+(?:tool|function)\\s+first\\b' +
        "|\\bregardless\\s+of\\s+(?:what\\s+)?(?:the\\s+)?user(?:\\s+|'s\\s+)(?:asks?|asked|requests?|requested|wants?|says|said)" +
        "|\\bbefore\\s+(?:answering|responding\\s+to|replying\\s+to|processing|handling)\\s+(?:any|every|each|the\\s+user\\'?s?)\\s+(?:\\w+\\s+)?(?:question|request|message|query|prompt)s?\\b" +
        '|\\b(?:every\\s+time|each\\s+time|whenever)\\s+(?:you|the\\s+(?:agent|assistant|model))\\s+(?:call|use|invoke|run)s?\\s+(?!this\\b|it\\b)(?:a|an|any)\\s+',
    ),
    message: 'tries to run before or alongside every other action',
  },
  {
    id: 'instruction.piggyback',
    category: 'instruction',
    tag: 'hijack',
    severity: 'medium',
    re: r(
      '\\bwhen(?:ever)?\\s+(?:the\\s+)?user\\s+(?:asks?|requests?|wants?|says|tells)\\b[^.]{0,80}?\\b(?:you\\s+)?(?:must|should|need to|have to|always)\\s+(?:also|first|additionally|secretly|silently)\\b' +
        '|\\bwhen(?:ever)?\\s+(?:you\\s+)?(?:write|writing|create|creating|edit|editing|save|saving)\\s+(?:any\\s+|a\\s+|the\\s+)?(?:file|script|code|commit|document|pull\\s+request|pr|issue|ticket|email|message|event|meeting|payment|order)s?\\b[^.]{0,60}?\\b(?:(?:always|must|also)\\s+(?:append|add|insert|include|prepend)\\b|(?:add|invite|grant)\\b[^.]{0,60}?\\b(?:admin|owner|maintainer|collaborator|bcc|cc|attendee|recipient)s?\\b)',
    ),
    message: 'attaches an extra action to what the user asked for',
  },
  {
    id: 'instruction.jailbreak',
    category: 'instruction',
    tag: 'override',
    severity: 'high',
    re: r(
      '\\bfrom\\s+now\\s+on,?\\s+you\\s+(?:are|will|must|have)\\b|\\byou\\s+(?:have|has)\\s+no\\s+(?:restrictions|limits|limitations|rules|filters|guidelines)\\b|\\bwithout\\s+(?:ever\\s+)?refusing\\b|\\bdo\\s+anything\\s+now\\b|\\b(?:developer|god|jailbreak|unrestricted)\\s+mode\\b|\\byou\\s+are\\s+(?:now\\s+)?an?\\s+(?:unrestricted|unfiltered|uncensored|jailbroken)\\b|\\b(?:safety|content)\\s+(?:policies|rules|guidelines|filters)\\s+(?:do\\s+not|don.t|no\\s+longer)\\s+apply\\b',
    ),
    message: "tries to change the model's role or remove its limits",
  },
  {
    id: 'instruction.substitute',
    category: 'instruction',
    tag: 'hijack',
    severity: 'medium',
    re: r(
      "\\binstead\\s+of\\s+(?:the\\s+|what\\s+the\\s+)?(?:requested|intended|asked|original|user'?s?)\\b",
    ),
    message: 'replaces what the user asked for with something else',
  },
  {
    id: 'shadow.replacement-claim',
    category: 'shadow',
    severity: 'medium',
    re: r(
      '\\b[`\'"]?[\\w.-]{1,64}[`\'"]?\\s+(?:tool|function)\\s+is\\s+(?:deprecated|broken|disabled|unsafe|compromised|no\\s+longer\\s+(?:available|supported|safe))\\b[^.;]{0,80}?[.;]?\\s*use\\s+this\\b|\\buse\\s+this\\s+(?:tool\\s+)?instead\\s+of\\s+(?:the\\s+)?[`\'"]?[\\w.-]{1,64}|\\b(?:supersedes|replaces|overrides)\\s+(?:the\\s+)?[\\w.-]{1,64}\\s+(?:server|tool)\\b|\\broute\\s+(?:every|all|each)\\s+[\\w\\s]{0,40}?(?:requests?|calls?)\\s+through\\s+this\\s+(?:tool|server)\\b',
    ),
    message: 'claims another tool is deprecated or unsafe and should be replaced by this one',
  },
  {
    id: 'instruction.precondition',
    category: 'instruction',
    tag: 'precondition',
    severity: 'low',
    re: r(
      '\\bbefore\\s+(?:using|calling|invoking|executing|running|you\\s+(?:use|call|run)|responding|answering|proceeding)\\b[^.]{0,80}?\\b(?:read|call|called|invoke|invoked|run|execute|fetch|send|include|pass|provide|retrieve|collect|gather|upload|copy|back up|access|open|cat|list)\\b' +
        '|\\b(?:always|first)\\s+(?:call|invoke|run|use)\\s+(?:the\\s+)?[`\'"]?[\\w-]{1,64}[`\'"]?\\s+(?:tool\\s+|function\\s+)?first\\b',
    ),
    message: 'sets a precondition the model must perform first',
  },
  {
    id: 'instruction.urgency',
    category: 'instruction',
    tag: 'urgency',
    severity: 'low',
    re: r(
      "\\botherwise\\b[^.]{0,40}\\b(?:will not work|won't work|will fail|will crash|will be (?:lost|deleted|blocked|corrupted))" +
        '|\\b(?:data loss|be (?:lost|deleted|blocked|corrupted))\\b[^.]{0,20}\\b(?:if|unless)\\b' +
        '|\\bfailure to\\b[^.]{0,30}\\b(?:comply|do so|follow)|\\b(?:mandatory|required)\\s+(?:for\\s+|by\\s+)?(?:compliance|security|audit)\\b' +
        '|\\bthis is (?:critical|mandatory|extremely important|very important)\\b|\\bvery,? very important\\b|\\bthe tool will not work\\b|\\bcompliance requirement',
    ),
    message: 'uses urgency or threat framing',
  },
  // --- sensitive material ----------------------------------------------------------------,
];
