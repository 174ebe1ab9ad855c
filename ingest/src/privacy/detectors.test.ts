// The fast paths of redaction must never hide a match: a detector is skipped only when its gate
// (character counts), its hint or BUILTIN_TRIGGER says it cannot match, so each must hold
// wherever the regex (plus its check) does match. Checked on generated strings built from the
// pieces the detectors look for, and on the positive examples of redactor.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BUILTIN_CHARS, BUILTIN_DETECTORS, BUILTIN_TRIGGER, DETECTOR_NAMES, TextFeatures, type Detector } from './detectors.js';
import { Redactor } from './redactor.js';

const KEY = 'test-redaction-key-0123456789';
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** Does the detector's regex find a valid match anywhere in s? */
function matches(d: Detector, s: string): boolean {
  const re = new RegExp(d.re.source, d.re.flags);
  for (const m of s.matchAll(re)) {
    if (m[0].length > 0 && (!d.valid || d.valid(m[0]))) {
      return true;
    }
  }
  return false;
}

const PIECES = [
  ...'0123456789',
  ...' .-()+:@_/"\\',
  ...'aAeEfFkKxXzZ',
  '4111 1111 1111 1111', '5500-0000-0000-0004', '378282246310005', '4222222222222', '+1 (41) 555 5555', '+1 415 555 0100', '(415) 555-0100', '415.555.0100',
  '123-45-6789', '192.168.1.20', '2001:db8::8a2e:370:7334', 'fe80::1', '::ffff:192.0.2.1', 'DE89 3704 0044 0532 0130 00',
  'GB82WEST12345698765432', 'NO9386011117947', 'x@y.io', 'bob.smith@example.com', 'sk-proj-abcdefghijklmnopqrstuvwx', 'AKIAIOSFODNN7EXAMPLE',
  'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB', 'xoxb-0123456789ab', 'Bearer abc.def-ghi', 'eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM',
];
const text = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((xs) => xs.join(''));

describe('detector gates', () => {
  it('never rule out a string in which the detector matches', () => {
    const f = new TextFeatures();
    fc.assert(
      fc.property(text, (s) => {
        f.reset();
        f.add(s);
        for (const name of DETECTOR_NAMES) {
          const d = BUILTIN_DETECTORS[name];
          if (matches(d, s)) {
            assert.ok(!d.gate || d.gate(f), `${name} gate rejects ${JSON.stringify(s)}`);
            assert.ok(!d.hint || d.hint.test(s), `${name} hint rejects ${JSON.stringify(s)}`);
            assert.ok(BUILTIN_TRIGGER.test(s), `trigger rejects ${JSON.stringify(s)}`);
            assert.ok(BUILTIN_CHARS.test(s), `chars reject ${JSON.stringify(s)}`);
          }
        }
      }),
      { numRuns: RUNS }
    );
  });

  it('rule out most ordinary attribute values (the point of them)', () => {
    const f = new TextFeatures();
    const ordinary = ['gpt-4o-2024-08-06', 'chatcmpl-9f8e7d6c5b4a39281706aa', 'conv-4312', 'user-18231', 'eu-west-1', 'handle_ticket', 'api.openai.com', '2024-01-15'];
    for (const s of ordinary) {
      f.reset();
      f.add(s);
      const open = DETECTOR_NAMES.filter((n) => (BUILTIN_DETECTORS[n].gate?.(f) ?? true) && (BUILTIN_DETECTORS[n].hint?.test(s) ?? true));
      assert.deepEqual(open, [], `${s}: ${open.join(',')}`);
    }
    assert.equal(BUILTIN_TRIGGER.test('the answer is in the document'), false);
  });

  it('counts digit runs across short separator gaps only', () => {
    const f = new TextFeatures();
    assert.equal(f.add('+1 (415) 555-0100').maxRun, 11);
    f.reset();
    assert.equal(f.add('12 - 34').maxRun, 2, 'a gap of three breaks the run');
    f.reset();
    assert.equal(f.add('ab12cd345').maxRun, 3);
  });
});

describe('redactor fast paths', () => {
  const red = new Redactor({ policy: {}, key: KEY });

  it('returns an attribute text in which nothing changed as the same text', () => {
    const text = JSON.stringify({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 4111111111111111, n: 1.5, ok: true, z: null, tags: ['a', 'b'] });
    assert.equal(red.redactAttributesText(text), text);
    assert.equal(red.redactAttributesText('{}'), '{}');
  });

  it('redacts nested strings but never numbers or booleans', () => {
    const text = JSON.stringify({ n: 4111111111111111, nested: { list: ['fine', 'mail x@y.io'] }, b: false });
    assert.deepEqual(JSON.parse(red.redactAttributesText(text)), { n: 4111111111111111, nested: { list: ['fine', 'mail [REDACTED:email]'] }, b: false });
  });

  it('finds a value that the JSON text hides behind an escape', () => {
    // "bob\u0040example.com": no @ in the text, one in the value.
    const text = '{"contact":"bob\\u0040example.com"}';
    assert.deepEqual(JSON.parse(red.redactAttributesText(text)), { contact: '[REDACTED:email]' });
  });

  it('remembers long texts without mixing up different ones', () => {
    const base = 'a long prompt that goes on and on and on and on and on and on and on and on';
    const withMail = `${base} mail x@y.io`;
    assert.equal(red.redactText(base), base);
    assert.equal(red.redactText(withMail), `${base} mail [REDACTED:email]`);
    assert.equal(red.redactText(`${base}`), base);
    assert.equal(red.redactText(withMail), `${base} mail [REDACTED:email]`);
  });

  it('leaves unchanged events alone and redacts changed ones', () => {
    const row = {
      name: 'n', statusMessage: '', attributes: '{}', resourceAttributes: '{}', links: '[]', userId: null, sessionId: null, agentName: null, toolName: null,
      inputContent: null, outputContent: null,
      events: JSON.stringify([{ name: 'retry', timeNs: '1', attributes: { n: 3 } }]),
    };
    const plain = { ...row };
    red.redactRow(plain as unknown as Parameters<Redactor['redactRow']>[0]);
    assert.equal(plain.events, row.events);
    const pii = { ...row, events: JSON.stringify([{ name: 'retry', attributes: { to: 'x@y.io' } }]) };
    red.redactRow(pii as unknown as Parameters<Redactor['redactRow']>[0]);
    assert.deepEqual(JSON.parse(pii.events), [{ name: 'retry', attributes: { to: '[REDACTED:email]' } }]);
  });

  it('still runs user patterns on strings the built-in gates rule out', () => {
    const custom = new Redactor({ policy: { custom: [{ name: 'ticket', regex: 'tkt[a-z]{4}' }] }, key: KEY });
    assert.equal(custom.redactText('see tktabcd now'), 'see [REDACTED:ticket] now');
    assert.equal(custom.redactAttributesText('{"a":"tktwxyz"}'), '{"a":"[REDACTED:ticket]"}');
  });
});
