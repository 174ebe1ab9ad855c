// PII and secret detectors for free text. Each detector is a regex that finds candidates and,
// where the format has one, a checksum that confirms them (Luhn for cards, mod-97 for IBANs),
// so order ids and random digit runs are not masked.
import net from 'node:net';

export const DETECTOR_NAMES = ['secret', 'email', 'iban', 'card', 'ssn', 'ipv6', 'ipv4', 'phone'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export interface Detector {
  name: string;
  /** Global regex; the whole match is replaced. */
  re: RegExp;
  /** Cheap precondition on the whole text (skips the regex for most strings). */
  pre?: (s: string) => boolean;
  /** Confirms a candidate (checksums, digit counts). */
  valid?: (match: string) => boolean;
}

const HAS_DIGIT = /\d/;
const hasDigit = (s: string) => HAS_DIGIT.test(s);

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
    pre: (s) => s.includes('sk-') || s.includes('AKIA') || s.includes('_') || s.includes('xox') || s.includes('eyJ') || s.includes('earer'),
  },
  email: {
    name: 'email',
    re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    pre: (s) => s.includes('@'),
  },
  iban: {
    name: 'iban',
    re: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    pre: hasDigit,
    valid: ibanValid,
  },
  card: {
    name: 'card',
    re: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    pre: hasDigit,
    valid: luhnValid,
  },
  ssn: {
    // Dashed form only: bare 9-digit runs are far more often ids than SSNs.
    name: 'ssn',
    re: /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g,
    pre: hasDigit,
  },
  ipv6: {
    name: 'ipv6',
    re: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:.])/g,
    pre: (s) => s.includes(':'),
    valid: (m) => net.isIPv6(m) && m !== '::',
  },
  ipv4: {
    name: 'ipv4',
    re: /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g,
    pre: hasDigit,
  },
  phone: {
    // Needs a leading + or separators between groups: a bare digit run is an id, not a phone.
    name: 'phone',
    re: /(?<![\w+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}[ .-]\d{2,4}(?:[ .-]\d{2,5}){0,3}(?![\w-])/g,
    pre: hasDigit,
    valid: (m) => {
      const n = digitCount(m);
      // Dates (2024-01-15) and times are caught by the digit floor; plain x.y.z versions too.
      return n >= 10 && n <= 15 && (m.startsWith('+') || /[ ()-]/.test(m) || /^\d{3}\.\d{3}\.\d{4}$/.test(m));
    },
  },
};
