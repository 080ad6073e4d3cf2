/**
 * SB-7, beyond length and entropy: values a person picked rather than a machine generated. They
 * pass a character-entropy rule ("password" has 2.75 bits per character) but make the redactor
 * over-match ordinary text and are guessed first by any attacker. Three classes are refused:
 *
 * 1. common passwords, compared case-insensitively as a whole;
 * 2. a common base word dressed up with case, leetspeak, leading or trailing digits and symbols,
 *    or repeated (`P@ssw0rd2024!`, `Welcome1`, `passpass`);
 * 3. keyboard walks and character sequences (`qwertyuiop`, `1qaz2wsx`, `abcdefgh`, `98765432`):
 *    runs of QWERTY neighbours, alphabet or digit steps, or repeats.
 *
 * The word list is small on purpose (the length and entropy rules do the rest). Its entries were
 * taken from the most common entries of public password-frequency lists: the UK NCSC's
 * "100k most used passwords" (from Have I Been Pwned's Pwned Passwords), SecLists'
 * `Passwords/Common-Credentials/10-million-password-list-top-1000.txt` (MIT) and NordPass's
 * yearly "most common passwords" reports; only entries that are 8+ characters long (shorter
 * ones already fail the length rule) or that serve as base words of dressed-up variants.
 */

/** Whole values (lower case) from the top of the public lists, 8 characters or more. */
const COMMON = new Set(
  [
    'password',
    'password1',
    'password12',
    'password123',
    'password1234',
    'passw0rd',
    'p@ssw0rd',
    'p@ssword',
    '12345678',
    '123456789',
    '1234567890',
    '0123456789',
    '87654321',
    '11111111',
    '00000000',
    '12341234',
    '11223344',
    '123123123',
    '1q2w3e4r',
    '1q2w3e4r5t',
    '1qaz2wsx',
    'zaq12wsx',
    'qwertyui',
    'qwertyuiop',
    'qwerty123',
    'qwerty12',
    'qwe123qwe',
    'asdfghjk',
    'asdfghjkl',
    'zxcvbnm1',
    'iloveyou',
    'iloveyou1',
    'sunshine',
    'princess',
    'football',
    'baseball',
    'basketball',
    'superman',
    'batman123',
    'trustno1',
    'whatever',
    'starwars',
    'computer',
    'michelle',
    'jennifer',
    'jordan23',
    'letmein1',
    'welcome1',
    'welcome123',
    'abc12345',
    'abcd1234',
    'a1b2c3d4',
    'aa123456',
    'admin123',
    'administrator',
    'changeme',
    'changeme1',
    'default1',
    'secret123',
    'master123',
    'mypassword',
    'letmein123',
    'loveme123',
    'q1w2e3r4',
    'q1w2e3r4t5',
    'passpass',
    'testtest',
    'test1234',
    'iloveyou2',
    'lovelove',
    'sunshine1',
    'shadow123',
    'charlie1',
    'football1',
    'baseball1',
    'superman1',
    'hello123',
    'freedom1',
    'internet',
    'corvette',
    'mercedes',
    'maverick',
    'samantha',
    'victoria',
    'chocolate',
    'butterfly',
    'liverpool',
    'chelsea1',
    'arsenal1',
    'pokemon1',
    'starwars1',
    'midnight',
    'danielle',
    'elizabeth',
    'alexander',
    'christopher',
    'qazwsxedc',
    'qweasdzxc',
    '1234qwer',
    'asdf1234',
    'zxcvbnm123',
  ].map((s) => s.toLowerCase()),
);

/** Base words people dress up with digits, symbols, case or leetspeak (letters only, lower case). */
const BASE_WORDS = new Set([
  'password',
  'passwd',
  'pass',
  'secret',
  'admin',
  'administrator',
  'root',
  'welcome',
  'letmein',
  'login',
  'qwerty',
  'iloveyou',
  'love',
  'monkey',
  'dragon',
  'master',
  'shadow',
  'sunshine',
  'princess',
  'football',
  'baseball',
  'soccer',
  'hockey',
  'superman',
  'batman',
  'trustno',
  'whatever',
  'starwars',
  'computer',
  'hello',
  'freedom',
  'charlie',
  'michael',
  'jordan',
  'jennifer',
  'michelle',
  'hunter',
  'ranger',
  'buster',
  'thomas',
  'tigger',
  'robert',
  'summer',
  'winter',
  'spring',
  'autumn',
  'changeme',
  'default',
  'guest',
  'test',
  'testing',
  'temp',
  'token',
  'apikey',
  'access',
  'pokemon',
  'cheese',
  'flower',
  'ginger',
  'pepper',
  'cookie',
  'matrix',
  'internet',
  'service',
  'server',
  'database',
  'company',
  'warden',
]);

const LEET: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
};

/** The dressed-up core of a value: edges of digits and symbols removed, leetspeak undone. */
function core(value: string): string {
  const stripped = value
    .toLowerCase()
    .replace(/^[^a-z]+/, '')
    .replace(/[^a-z]+$/, '');
  return [...stripped].map((c) => LEET[c] ?? c).join('');
}

/** Whether `s` is one base word, or a base word repeated (`passpass`). */
function isBaseWord(s: string): boolean {
  if (BASE_WORDS.has(s)) return true;
  for (const w of BASE_WORDS) {
    if (s.length % w.length === 0 && s.length > w.length && w.repeat(s.length / w.length) === s) return true;
  }
  return false;
}

/** US QWERTY rows, with each row's horizontal offset (stagger) in key widths. */
const ROWS: readonly (readonly [string, string, number])[] = [
  ['1234567890-=', '!@#$%^&*()_+', 0],
  ['qwertyuiop[]', 'QWERTYUIOP{}', 0.5],
  ["asdfghjkl;'", 'ASDFGHJKL:"', 0.75],
  ['zxcvbnm,./', 'ZXCVBNM<>?', 1.25],
];
const KEY = new Map<string, { row: number; x: number }>();
for (const [r, [plain, shifted, offset]] of ROWS.entries()) {
  for (let i = 0; i < plain.length; i++) {
    KEY.set(plain[i]!, { row: r, x: i + offset });
    KEY.set(shifted[i]!, { row: r, x: i + offset });
  }
}

/** A keyboard-neighbour, alphabetical or numerical step, or the same character again. */
function isStep(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  // a person walking the keyboard holds shift for a whole run or not at all
  const upper = (c: string, l: string): boolean => c !== l;
  if (/^[a-z]$/.test(la) && /^[a-z]$/.test(lb) && upper(a, la) !== upper(b, lb)) return false;
  if (/^[a-z0-9]$/.test(la) && /^[a-z0-9]$/.test(lb) && Math.abs(la.charCodeAt(0) - lb.charCodeAt(0)) === 1)
    return true;
  const ka = KEY.get(a);
  const kb = KEY.get(b);
  if (ka === undefined || kb === undefined) return false;
  return (
    Math.abs(ka.row - kb.row) <= 1 && Math.abs(ka.x - kb.x) <= 1 && !(ka.row === kb.row && ka.x === kb.x)
  );
}

/**
 * A walk: the value splits (at every pair that is not a step; a change of letter case is not a
 * step) into runs of at least 3 characters each (a single leading or trailing character is
 * allowed: `Qwertyui`, `mnbvcxz1`), and steps make up three quarters or more of its pairs.
 */
function isWalk(chars: readonly string[]): boolean {
  if (chars.length < 2) return false;
  const runs: number[] = [1];
  let steps = 0;
  for (let i = 1; i < chars.length; i++) {
    if (isStep(chars[i - 1]!, chars[i]!)) {
      steps++;
      runs[runs.length - 1]!++;
    } else runs.push(1);
  }
  const last = runs.length - 1;
  const shortOk = runs.every((r, i) => r >= 3 || (r === 1 && (i === 0 || i === last) && last > 0));
  return shortOk && steps / (chars.length - 1) >= 0.75;
}

export type WeakClass = 'common-password' | 'dictionary-word' | 'keyboard-pattern';

/** Why a value is a human-chosen weak secret, or undefined. Messages never quote the value. */
export function weakValueReason(value: string): { class: WeakClass; reason: string } | undefined {
  if (COMMON.has(value.toLowerCase()))
    return { class: 'common-password', reason: 'it is one of the most common passwords' };
  const c = core(value);
  if (c.length > 0 && isBaseWord(c))
    return {
      class: 'dictionary-word',
      reason: 'it is a common word with only case, digits, symbols or leetspeak added (a word plus 123!)',
    };
  if (isWalk([...value]))
    return {
      class: 'keyboard-pattern',
      reason: 'it is a keyboard pattern or a character sequence (like qwertyui, 1qaz2wsx, abcd1234)',
    };
  return undefined;
}
