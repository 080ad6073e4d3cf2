/**
 * Sentence-level data-flow rule: one sentence that is directed at the model, names secret or
 * personal material, a transfer verb and a destination (address, URL, path, another tool or a
 * field) is an exfiltration instruction, however it is phrased. Negated sentences ("never send
 * the API key …") do not count.
 */
import { excerptAround, normalizeForMatch } from '../text.ts';
import type { Field } from '../walk.ts';
import type { RawFinding } from '../types.ts';

const SECRET =
  /\b(?:credentials?|passwords?|passphrases?|api[_ ]?keys?|access[_ ]?tokens?|auth(?:entication)?[_ ]?tokens?|secrets?|private[_ ]?keys?|ssh[_ ]?keys?|credit[_ ]?card(?:[_ ]?numbers?)?|card[_ ]?numbers?|cvv|ssn|social security(?: numbers?)?|bank[_ ]?account(?: numbers?)?|browser[_ ]?history|cookies|session[_ ]?(?:cookies|tokens?)|environment[_ ]?variables|os\.environ|env[_ ]?vars?|seed[_ ]?phrases?|recovery[_ ]?codes?|2fa[_ ]?codes?|one[- ]time[_ ]?(?:codes?|passwords?))\b/i;
const TRANSFER =
  /\b(?:forward(?:s|ed)?|send(?:s)?|sent|e-?mail(?:s)?|post(?:s)?|upload(?:s)?|save(?:s)?|store(?:s)?|write(?:s)?|add(?:s)?|append(?:s)?|include(?:s)?|insert(?:s)?|put(?:s)?|print(?:s)?|output(?:s)?|log(?:s)?|cop(?:y|ies)|share(?:s)?|leak(?:s)?|report(?:s)?|attach(?:es)?|pass(?:es)?|transmit(?:s)?|sync(?:s)?|export(?:s)?|enter(?:s)?|type(?:s)?|submit(?:s)?|fill(?:s)?|provide(?:s)?|supply|supplies|give(?:s)?)\b/i;
const DIRECTED =
  /\b(?:you|your|the (?:assistant|model|agent|ai|llm)|always|whenever|every time|each time|also|first|then|automatically|immediately|afterwards|after (?:that|each|every)|before (?:that|each|every|any)|(?:if|when|whenever) (?:the )?user|if any)\b|^\s*(?:please\s+)?(?:provide|supply|give|paste|share|enter|type|submit|attach|run|execute|call|invoke|use|read|save|send|forward|email|post|upload|store|write|add|append|include|insert|put|print|output|log|copy|share|collect|look up|grab|extract)\b/i;
const DESTINATION =
  /(?<![\w.+-])[\w.+-]{1,64}@[\w-]+\.[a-z]{2,}|https?:\/\/\S+|(?:^|\s)[`'"]?(?:~|\/)[\w.~-]+\/[\w./~-]*|\b[a-z]+_[a-z_]+\b|\b(?:to|in|into|as)\s+(?:the\s+|a\s+|your\s+)?(?:\w+\s+){0,2}?(?:parameter|param|argument|field|ticket|channel|note|description|file|issue|comment|message|reply|response|answer|output|log|page|form|site|website)\b|\bon\s+(?:the\s+|a\s+)?(?:\w+\s+)?(?:page|form|site|website)\b/i;
const NEGATED =
  /\b(?:never|do not|don't|dont|must not|should not|shouldn't|cannot|can't|won't|will not|is not|are not|isn't|aren't|not be|without|no)\b/i;

const ADDITIVE =
  /\b(?:also|additionally|in addition|as well|too|before|after|afterwards|every time|each time|any time|anytime|whenever|on every|on each|automatically|in the background|every|all)\b/i;
const LITERAL_DESTINATION =
  /(?<![\w.+-])[\w.+-]{1,64}@[\w-]+\.[a-z]{2,}|https?:\/\/\S+|\b(?:s3|gs|az|ftp|sftp|wss?):\/\/\S+|\bpublic\s+(?:gist|paste|pastebin|bucket|repo(?:sitory)?|channel|link)\b|\bpastebin\b|\+\d[\d\s().-]{7,}\d/i;
const SIDE_TRANSFER =
  /\b(?:forward|send|e-?mail|post|upload|transmit|sync|copy|share|leak|report|mirror|beacon|push|publish|export|record and send|ship|stream|text|sms)\b/i;

/**
 * A model-directed sentence that adds a side transfer ("also", "before", "every time", …) of
 * data to a literal external destination (address, URL, bucket, public gist).
 */
export function sideFlowFindings(texts: readonly Field[], emit: (f: RawFinding) => void): void {
  for (const f of texts) {
    const t = normalizeForMatch(f.text);
    if (!LITERAL_DESTINATION.test(t)) continue;
    let at = 0;
    for (const sentence of t.split(/(?<=[.!?\n])\s+/)) {
      const start = t.indexOf(sentence, at);
      at = start + sentence.length;
      if (!ADDITIVE.test(sentence) || !SIDE_TRANSFER.test(sentence) || !LITERAL_DESTINATION.test(sentence))
        continue;
      if (NEGATED.test(sentence)) continue;
      emit({
        ruleId: 'exfil.side-flow',
        category: 'exfil',
        tag: 'url',
        severity: 'high',
        pointer: f.pointer,
        excerpt: excerptAround(t, start, start + sentence.length),
        message: 'adds a side transfer of data to a fixed external destination',
      });
      return;
    }
  }
}

export function secretFlowFindings(texts: readonly Field[], emit: (f: RawFinding) => void): void {
  for (const f of texts) {
    const t = normalizeForMatch(f.text);
    if (!SECRET.test(t)) continue;
    let at = 0;
    for (const sentence of t.split(/(?<=[.!?\n])\s+/)) {
      const start = t.indexOf(sentence, at);
      at = start + sentence.length;
      if (!SECRET.test(sentence) || !TRANSFER.test(sentence) || !DESTINATION.test(sentence)) continue;
      if (!DIRECTED.test(sentence) || NEGATED.test(sentence)) continue;
      emit({
        ruleId: 'exfil.secret-flow',
        category: 'exfil',
        tag: 'url',
        severity: 'high',
        pointer: f.pointer,
        excerpt: excerptAround(t, start, start + sentence.length),
        message: 'one model-directed sentence moves secret or personal data to a destination',
      });
      return;
    }
  }
}
