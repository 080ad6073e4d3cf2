/** Shared pieces of the text rules: the rule shape, verb lists, sensitive paths, regex helper. */
import type { RuleCategory, Severity } from '../types.ts';

export interface TextRule {
  readonly id: string;
  readonly category: RuleCategory;
  readonly tag?: string;
  readonly severity: Severity;
  readonly re: RegExp;
  /** The match is ignored when this matches the match plus the 40 characters before it. */
  readonly unless?: RegExp;
  readonly message: string;
}

export const VERB_TELL =
  '(?:tell|telling|inform|informing|notify|notifying|mention|mentioning|alert|alerting|reveal|revealing|disclose|disclosing|show|showing|warn|warning|let|letting|bother|upset|explain|say|saying)';
export const ACT_VERB =
  '(?:email|e-mail|mail|message|text|transfer|export|sync|share|leak|send|sent|post|forward|copy|include|read|upload|call|invoke|run|execute|add|append|bcc|cc|transmit|exfiltrate|attach|pass|write|store|log|save|fetch|access|collect|share|report)';
/** Sensitive paths; `b` is the left boundary used before dot-files (empty after a consumed space). */
function sensitivePath(b: string): string {
  return (
    '(?:~|\\$home|%userprofile%|/home/[\\w.-]{1,64}|/root|/users/[\\w.-]{1,64})?/?\\.ssh\\b(?:/[\\w.-]{1,64})?' +
    '|\\bid_(?:rsa|dsa|ecdsa|ed25519)\\b(?:\\.pub)?' +
    '|\\.aws/(?:credentials|config)\\b|\\.azure/|\\.config/gcloud\\b|application_default_credentials' +
    `|\\.kube/config\\b|\\.docker/config\\.json|${b}\\.(?:npmrc|pypirc|netrc|git-credentials|gitconfig|pgpass|gnupg|bash_history|zsh_history|my\\.cnf)\\b` +
    `|/etc/(?:passwd|shadow|sudoers|crontab|hosts|cron\\.d)\\b|${b}\\.(?:bashrc|zshrc|profile|bash_profile)\\b|\\blaunchagents\\b|\\.git/hooks\\b|${b}\\.env(?:\\.[\\w-]{1,64})?(?=$|[\\s\`'",.;:)])` +
    `|\\bmcp\\.json\\b|claude_desktop_config\\.json|${b}\\.cursor/|${b}\\.claude/` +
    '|\\blogin data\\b|\\bcookies\\.sqlite\\b|\\bkey4\\.db\\b|\\blogins\\.json\\b|\\bkeychains?\\b|\\bwallet\\.dat\\b' +
    '|\\bauthorized_keys\\b|\\bknown_hosts\\b|\\bcredentials\\.json\\b'
  );
}
export const SENSITIVE_PATH = sensitivePath(`(?:^|(?<=[\\s\`'"(/~]))`);
export const SENSITIVE_PATH_AFTER_SPACE = sensitivePath('');
export const SENSITIVE_PATH_RE = new RegExp(SENSITIVE_PATH, 'i');

export const r = (src: string): RegExp => new RegExp(src, 'i');
