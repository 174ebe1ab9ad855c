// PII and secret detectors for free text. Each detector is a regex that finds candidates and,
// where the format has one, a checksum that confirms them (Luhn for cards, mod-97 for IBANs),
// so order ids and random digit runs are not masked.
//
// Speed: most strings (model names, ids, prose) can hold no match at all. One pass over a string
// (TextFeatures) counts the characters the detectors need; a detector whose gate fails on those
// counts is skipped without running its regex. Gates must never be false where the regex (plus
// its check) would match: detectors.test.ts checks that against generated strings.
import net from 'node:net';

export const DETECTOR_NAMES = ['secret', 'email', 'iban', 'card', 'ssn', 'ipv6', 'ipv4', 'phone'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export interface Detector {
  name: string;
  /** Global regex; the whole match is replaced. */
  re: RegExp;
  /**
   * Necessary condition on the character counts of a string (or of any quote-delimited piece of
   * it: a match never crosses a `"`). False = the regex cannot match there.
   */
  gate?: (f: TextFeatures) => boolean;
  /** Necessary condition as a (non-global) regex over the whole text, for literal prefixes. */
  hint?: RegExp;
  /** Confirms a candidate (checksums, digit counts). */
  valid?: (match: string) => boolean;
}

/**
 * Character counts of a string, gathered in one pass (add / addChar) for the detector gates:
 * - `maxRun`: longest run of digits in which gaps of at most two of ` .-()+` do not break it
 *   (cards, phones, SSNs are such runs);
 * - `maxDotted`: most digit-dot-digit joins in one run of digits and dots (IPv4 needs 3);
 * - `maxColons`: most colons in one run of hex digits, colons and dots (IPv6 needs 2);
 * - `ibanStart`: two capitals directly followed by two digits seen.
 */
export class TextFeatures {
  len = 0;
  digits = 0;
  upper = 0;
  at = 0;
  dots = 0;
  dashes = 0;
  underscores = 0;
  maxRun = 0;
  maxDotted = 0;
  maxColons = 0;
  ibanStart = false;
  private run = 0;
  private gap = 0;
  private dotted = 0;
  /** 1: last char a digit; 2: last char a dot after a digit. */
  private dotState = 0;
  private colons = 0;
  private caps = 0;
  /** The last char was the first digit after two or more capitals. */
  private ibanDigit = false;

  reset(): void {
    this.len = this.digits = this.upper = this.at = this.dots = this.dashes = this.underscores = 0;
    this.maxRun = this.maxDotted = this.maxColons = this.run = this.gap = this.dotted = this.dotState = this.colons = this.caps = 0;
    this.ibanStart = this.ibanDigit = false;
  }

  /** Adds the characters of s[from, to). Locals, not fields, in the loop: ~4x faster in V8. */
  add(s: string, from = 0, to = s.length): this {
    let { digits, upper, at, dots, dashes, underscores, maxRun, maxDotted, maxColons, ibanStart, run, gap, dotted, dotState, colons, caps, ibanDigit } = this;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c >= 97) {
        // Lower-case letters (and everything above them): the common case, one branch. Only a-f
        // continue an IPv6 run; every other run ends here.
        if (c > 102) {
          colons = 0;
        }
        run = gap = dotted = dotState = caps = 0;
        ibanDigit = false;
        continue;
      }
      if (c >= 48 && c <= 57) {
        digits++;
        if (gap > 2) {
          run = 0;
        }
        gap = 0;
        if (++run > maxRun) {
          maxRun = run;
        }
        if (dotState === 2 && ++dotted > maxDotted) {
          maxDotted = dotted;
        }
        dotState = 1;
        if (ibanDigit) {
          ibanStart = true;
        }
        ibanDigit = caps >= 2;
        caps = 0;
        continue;
      }
      ibanDigit = false;
      if (c >= 65 && c <= 90) {
        upper++;
        caps++;
      } else {
        caps = 0;
      }
      // Hex letters and dots continue an IPv6 run; anything else but a colon ends it.
      if (c === 58) {
        if (++colons > maxColons) {
          maxColons = colons;
        }
      } else if (c !== 46 && !((c >= 65 && c <= 70) || (c >= 97 && c <= 102))) {
        colons = 0;
      }
      if (c === 46) {
        dots++;
        gap++;
        if (dotState === 1) {
          dotState = 2;
        } else {
          dotState = 0;
          dotted = 0;
        }
        continue;
      }
      dotState = 0;
      dotted = 0;
      if (c === 45) {
        dashes++;
        gap++;
        continue;
      }
      if (c === 32 || c === 40 || c === 41 || c === 43) {
        gap++; // space ( ) +
        continue;
      }
      if (c === 64) {
        at++;
      } else if (c === 95) {
        underscores++;
      }
      run = 0;
      gap = 0;
    }
    this.len += to - from;
    Object.assign(this, { digits, upper, at, dots, dashes, underscores, maxRun, maxDotted, maxColons, ibanStart, run, gap, dotted, dotState, colons, caps, ibanDigit });
    return this;
  }
}

/** Luhn checksum over the digits of `s` (separators ignored). */
export function luhnValid(s: string): boolean {
  const digits = s.replace(/[^0-9]/g, '');
  if (digits.length < 13 || digits.length > 19) {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  // All-zero runs pass Luhn trivially but are never card numbers.
  return sum % 10 === 0 && !/^0+$/.test(digits);
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters -> 10..35, mod 97 = 1. */
export function ibanValid(s: string): boolean {
  const iban = s.replace(/ /g, '').toUpperCase();
  if (iban.length < 15 || iban.length > 34 || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) {
    return false;
  }
  const moved = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? String(c - 55) : ch;
    for (const d of v) {
      rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
    }
  }
  return rem === 1;
}

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n++;
    }
  }
  return n;
}

/** Built-in detectors in priority order: an earlier match wins where two overlap. */
export const BUILTIN_DETECTORS: Record<DetectorName, Detector> = {
  secret: {
    name: 'secret',
    re: /\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abprs]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})|\bBearer\s+[A-Za-z0-9._~+/-]{8,}=*/g,
    // The literal starts of the alternatives; the shortest match ("Bearer " + 8, "xoxb-" + 10) is 15 long.
    hint: /sk-|AKIA|gh[pousr]_|github_pat_|xox[abprs]-|eyJ|Bearer/,
    // Every alternative has a -, an _ or a capital letter.
    gate: (f) => f.len >= 15 && f.dashes + f.underscores + f.upper > 0,
  },
  email: {
    name: 'email',
    re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    gate: (f) => f.at > 0 && f.dots > 0,
  },
  iban: {
    name: 'iban',
    re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    // Country letters + check digits; ibanValid wants at least 15 characters.
    gate: (f) => f.ibanStart && f.len >= 15,
    valid: ibanValid,
  },
  card: {
    name: 'card',
    re: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    gate: (f) => f.maxRun >= 13,
    valid: luhnValid,
  },
  ssn: {
    // Dashed form only: bare 9-digit runs are far more often ids than SSNs.
    name: 'ssn',
    re: /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g,
    gate: (f) => f.maxRun >= 9 && f.dashes >= 2,
  },
  ipv6: {
    name: 'ipv6',
    re: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:.])/g,
    gate: (f) => f.maxColons >= 2,
    valid: (m) => net.isIPv6(m) && m !== '::',
  },
  ipv4: {
    name: 'ipv4',
    re: /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g,
    gate: (f) => f.maxDotted >= 3,
  },
  phone: {
    // Needs a leading + or separators between groups: a bare digit run is an id, not a phone.
    name: 'phone',
    re: /(?<![\w+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]\d{2,4}(?:[ .-]\d{2,5}){0,3}(?![\w-])/g,
    // valid() wants 10+ digits, joined by single separators or "(...)" + one separator.
    gate: (f) => f.maxRun >= 10,
    valid: (m) => {
      const n = digitCount(m);
      // Dates (2024-01-15) and times are caught by the digit floor; plain x.y.z versions too.
      return n >= 10 && n <= 15 && (m.startsWith('+') || /[ ()-]/.test(m) || /^\d{3}\.\d{3}\.\d{4}$/.test(m));
    },
  },
};

/**
 * Found in every string where a built-in detector can match (one native scan, ~0.5 ns a char,
 * rules most long texts out before any counting): a digit run of 7+ characters with separators
 * (card, phone, SSN, IPv4), an @ (email), two colons in a hex run (IPv6), two capitals and two
 * digits (IBAN), a secret's literal start.
 */
export const BUILTIN_TRIGGER = new RegExp(`\\d[\\d .()+-]{5,}\\d|@|:[0-9A-Fa-f.]*:|[A-Z]{2}\\d{2}|${BUILTIN_DETECTORS.secret.hint!.source}`);

/** One of these characters is in every string BUILTIN_TRIGGER finds (a class scan is ~free). */
export const BUILTIN_CHARS = /[0-9@:A-Z_-]/;
