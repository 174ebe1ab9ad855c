import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { normalizeRequest } from '../normalize/index.js';
import { ibanValid, luhnValid } from './detectors.js';
import { createPrivacy, loadPolicyFile } from './index.js';
import { Redactor, type RedactionPolicy } from './redactor.js';
import { openLoggedBody, WalCipher } from './walCipher.js';
import type { ExportTraceServiceRequest, OtlpKeyValue } from '../otlp/types.js';

const KEY = 'test-redaction-key-0123456789';
const r = (policy: RedactionPolicy = {}) => new Redactor({ policy, key: KEY });

// Per detector: strings that must be redacted and strings that must stay as they are.
const CASES: Record<string, { pos: string[]; neg: string[] }> = {
  email: {
    pos: ['mail alice.smith+tag@example.co.uk now', 'x@y.io', 'contact: BOB_99@mail-server.example.com.'],
    neg: ['user@localhost', 'price @ 3.50', 'a@b', '@handle'],
  },
  card: {
    pos: ['card 4111 1111 1111 1111 ok', '5500-0000-0000-0004', '4242424242424242', '378282246310005'],
    // Luhn-invalid, too short, an order id, a timestamp in ns.
    neg: ['card 4111 1111 1111 1112', '411111111111', 'ORD-4111111111111112', 'ts 1700000000000000001', '0000000000000000'],
  },
  iban: {
    pos: ['IBAN DE89 3704 0044 0532 0130 00 thanks', 'GB82WEST12345698765432', 'FR1420041010050500013M02606'],
    neg: ['DE89 3704 0044 0532 0130 01', 'GB82WEST12345698765433', 'AB12 CDEF GHIJ'],
  },
  ssn: {
    pos: ['ssn 123-45-6789', 'SSN:078-05-1120.'],
    neg: ['000-12-3456', '666-12-3456', '123-00-4567', '123-45-0000', '123-45-678', '2024-01-15'],
  },
  ipv4: {
    pos: ['from 192.168.1.20 port', '8.8.8.8', 'client=10.0.0.255;'],
    neg: ['version 1.2.3', '999.1.1.1', '1.2.3.4.5', 'v2.10.30.400'],
  },
  ipv6: {
    pos: ['addr 2001:db8::8a2e:370:7334 end', 'fe80::1', '::ffff:192.0.2.1'],
    neg: ['time 12:30:45', 'a::b::c', 'key:value:pair', 'std::vector'],
  },
  phone: {
    pos: ['call +1 415 555 0100', '(415) 555-0100', '+44 20 7946 0958', '415-555-0100'],
    neg: ['order 4155550100', 'id 2024-01-15', 'v1.2.3', 'tokens 12 345', 'ts 1700000000'],
  },
  secret: {
    pos: [
      'key sk-proj-abcdefghijklmnopqrstuvwx123',
      'AKIAIOSFODNN7EXAMPLE',
      'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB',
      'Authorization: Bearer abc.def-ghi_jkl',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    ],
    neg: ['task-manager', 'sk-short', 'AKIA1234', 'the Bearer of news', 'ghp_short'],
  },
};

describe('detectors', () => {
  it('Luhn and mod-97 checksums', () => {
    assert.ok(luhnValid('4111111111111111'));
    assert.ok(!luhnValid('4111111111111112'));
    assert.ok(ibanValid('DE89370400440532013000'));
    assert.ok(!ibanValid('DE89370400440532013001'));
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: positives are masked, negatives are kept`, () => {
      const red = r();
      for (const s of c.pos) {
        const out = red.redactText(s);
        assert.match(out, new RegExp(`\\[REDACTED:${name}\\]`), `${name} should match in ${JSON.stringify(s)} -> ${out}`);
      }
      for (const s of c.neg) {
        assert.equal(red.redactText(s), s, `${name} must not match ${JSON.stringify(s)}`);
      }
    });
  }

  it('hash mode is keyed and deterministic; drop removes', () => {
    const a = r({ mode: 'hash' }).redactText('mail bob@example.com');
    assert.match(a, /^mail \[email:[0-9a-f]{16}\]$/);
    assert.equal(r({ mode: 'hash' }).redactText('mail bob@example.com'), a);
    assert.notEqual(new Redactor({ policy: { mode: 'hash' }, key: 'another-key-0123456789' }).redactText('mail bob@example.com'), a);
    assert.equal(r({ mode: 'drop' }).redactText('mail bob@example.com!'), 'mail !');
    assert.equal(r({ patterns: { email: 'off' } }).redactText('mail bob@example.com'), 'mail bob@example.com');
  });

  it('user regexes run first and can be switched per pattern', () => {
    const red = r({ custom: [{ name: 'order', regex: 'ORD-[0-9]{6}', mode: 'hash' }] });
    assert.match(red.redactText('order ORD-123456 shipped'), /^order \[order:[0-9a-f]{16}\] shipped$/);
    assert.throws(() => r({ custom: [{ name: 'bad', regex: '(' }] }), /custom pattern "bad"/);
    assert.throws(() => r({ custom: [{ name: 'empty', regex: 'x*' }] }), /empty string/);
  });
});

function kv(key: string, value: string): OtlpKeyValue {
  return { key, value: { kind: 'string', value } };
}

function request(attrs: OtlpKeyValue[], events: Array<{ name: string; attributes: OtlpKeyValue[] }> = []): ExportTraceServiceRequest {
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'chat'), kv('host.ip', '10.1.2.3')], droppedAttributesCount: 0 },
        schemaUrl: '',
        scopeSpans: [
          {
            scope: { name: 's', version: '1', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            spans: [
              {
                traceId: 'a'.repeat(32),
                spanId: 'b'.repeat(16),
                parentSpanId: '',
                traceState: '',
                flags: 0,
                name: 'chat gpt-4o for alice@example.com',
                kind: 3,
                startTimeUnixNano: 1_700_000_000_000_000_000n,
                endTimeUnixNano: 1_700_000_001_000_000_000n,
                attributes: attrs,
                droppedAttributesCount: 0,
                events: events.map((e) => ({ timeUnixNano: 1_700_000_000_500_000_000n, name: e.name, attributes: e.attributes, droppedAttributesCount: 0 })),
                droppedEventsCount: 0,
                links: [],
                droppedLinksCount: 0,
                status: { code: 0, message: '' },
              },
            ],
          },
        ],
      },
    ],
  } as unknown as ExportTraceServiceRequest;
}

describe('redaction in normalization', () => {
  const attrs = [
    kv('gen_ai.request.model', 'gpt-4o'),
    kv('user.id', 'u-42'),
    kv('session.id', 'sess-1'),
    kv('http.request.header.authorization', 'Bearer sk-proj-abcdefghijklmnopqrstuvwx'),
    kv('input.value', 'my card is 4111 1111 1111 1111 and mail bob@example.com'),
    kv('output.value', 'ok'),
    kv('order.id', 'ORD-4111111111111112'),
  ];

  it('per-attribute rules, detectors in attributes, content, name and resource', () => {
    const red = r({ attributes: { 'user.id': 'hash' } });
    const { rows } = normalizeRequest(request(attrs), { redactor: red, nowNs: 1_700_000_002_000_000_000n });
    const row = rows[0]!;
    const a = JSON.parse(row.attributes) as Record<string, string>;
    assert.equal(a['user.id'], red.hashValue('u-42'));
    assert.equal(row.userId, red.hashValue('u-42'), 'the column and the attribute hash alike (joins)');
    assert.equal(red.storedUserId('u-42'), row.userId);
    assert.equal(a['http.request.header.authorization'], undefined);
    assert.equal(a['input.value'], 'my card is [REDACTED:card] and mail [REDACTED:email]');
    assert.equal(a['order.id'], 'ORD-4111111111111112');
    assert.equal(row.inputContent, 'my card is [REDACTED:card] and mail [REDACTED:email]');
    assert.equal(row.name, 'chat gpt-4o for [REDACTED:email]');
    assert.equal((JSON.parse(row.resourceAttributes) as Record<string, string>)['host.ip'], '[REDACTED:ipv4]');
    assert.equal(row.sessionId, 'sess-1');
    assert.equal(row.requestModel, 'gpt-4o');
  });

  it('without a redactor nothing changes (the test can fail)', () => {
    const { rows } = normalizeRequest(request(attrs), { nowNs: 1_700_000_002_000_000_000n });
    assert.match(rows[0]!.inputContent ?? '', /4111 1111 1111 1111/);
  });

  it('dropContent removes content columns, content attributes and message events', () => {
    const red = r({ dropContent: true });
    const { rows } = normalizeRequest(
      request(
        [...attrs, kv('llm.input_messages.0.message.content', 'secret prompt'), kv('gen_ai.input.messages', '[{"role":"user"}]')],
        [{ name: 'gen_ai.user.message', attributes: [kv('content', 'hello there')] }, { name: 'retry', attributes: [kv('n', 'x@y.io')] }]
      ),
      { redactor: red, nowNs: 1_700_000_002_000_000_000n }
    );
    const row = rows[0]!;
    assert.equal(row.inputContent, null);
    assert.equal(row.outputContent, null);
    const a = JSON.parse(row.attributes) as Record<string, unknown>;
    for (const k of ['input.value', 'output.value', 'llm.input_messages.0.message.content', 'gen_ai.input.messages']) {
      assert.equal(a[k], undefined, k);
    }
    const ev = JSON.parse(row.events) as Array<{ name: string; attributes: Record<string, string> }>;
    assert.deepEqual(ev[0]!.attributes, {});
    assert.equal(ev[1]!.attributes.n, '[REDACTED:email]');
    assert.doesNotMatch(row.events + row.attributes, /hello there|secret prompt/);
  });

  it('JSON message content stays valid JSON after redaction', () => {
    const red = r();
    const { rows } = normalizeRequest(request([kv('gen_ai.input.messages', JSON.stringify([{ role: 'user', content: 'line\nmail a@b.io' }]))]), {
      redactor: red,
      nowNs: 1_700_000_002_000_000_000n,
    });
    const parsed = JSON.parse(rows[0]!.inputContent ?? 'null') as Array<{ content: string }>;
    assert.equal(parsed[0]!.content, 'line\nmail [REDACTED:email]');
  });
});

describe('configuration', () => {
  it('policy file (YAML) is validated and combined with env settings', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pyflare-policy-'));
    try {
      const f = path.join(dir, 'policy.yaml');
      await fs.writeFile(f, 'mode: hash\nattributes:\n  user.id: hash\n  "app.secret.*": drop\npatterns:\n  ipv4: off\ncustom:\n  - name: order\n    regex: "ORD-[0-9]+"\n');
      const p = await createPrivacy({ enabled: true, mode: 'mask', policyFile: f, key: KEY, dropContent: false });
      assert.ok(p);
      assert.equal(p.redactor.redactText('10.0.0.1'), '10.0.0.1');
      assert.match(p.redactor.redactText('ORD-99'), /^\[order:[0-9a-f]{16}\]$/);
      assert.deepEqual(p.redactor.redactAttributes({ 'app.secret.token': 'x', keep: 'y' }), { keep: 'y' });
      await fs.writeFile(f, 'mode: scramble\n');
      await assert.rejects(loadPolicyFile(f), /policy\.yaml: mode/);
      assert.equal(await createPrivacy({ enabled: false, mode: 'mask', policyFile: undefined, key: undefined, dropContent: false }), null);
      await assert.rejects(createPrivacy({ enabled: true, mode: 'mask', policyFile: undefined, key: undefined, dropContent: false }), /PYFLARE_REDACTION_KEY/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('WAL body encryption', () => {
  it('seals and opens; the plaintext is not in the sealed bytes; a wrong key fails', () => {
    const c = new WalCipher(KEY);
    const body = Buffer.from('{"prompt":"card 4111 1111 1111 1111"}');
    const sealed = c.seal(body);
    assert.equal(sealed.byteLength, body.byteLength + WalCipher.overhead);
    assert.ok(!sealed.includes(Buffer.from('4111')));
    assert.deepEqual(openLoggedBody(sealed, c), body);
    assert.deepEqual(openLoggedBody(body, c), body, 'bodies logged before redaction was on replay as they are');
    assert.throws(() => openLoggedBody(sealed, null), /PYFLARE_REDACTION_KEY/);
    assert.throws(() => new WalCipher('another-key-0123456789').open(sealed));
  });
});
