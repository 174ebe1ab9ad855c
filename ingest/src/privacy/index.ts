// Builds the privacy pieces from the configuration: the redactor (normalization hook) and the
// WAL cipher. Both exist only when redaction or content dropping is switched on.
import fs from 'node:fs/promises';
import YAML from 'yaml';
import { policySchema, Redactor, type RedactionMode, type RedactionPolicy } from './redactor.js';
import { WalCipher } from './walCipher.js';

export { Redactor, policySchema, type RedactionPolicy } from './redactor.js';
export { WalCipher, openLoggedBody } from './walCipher.js';

export interface PrivacySettings {
  enabled: boolean;
  mode: RedactionMode;
  policyFile: string | undefined;
  key: string | undefined;
  dropContent: boolean;
}

export interface Privacy {
  redactor: Redactor;
  walCipher: WalCipher;
}

/** Parses a policy file (YAML or JSON); errors name the file and the field, never the key. */
export async function loadPolicyFile(file: string): Promise<RedactionPolicy> {
  const text = await fs.readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = YAML.parse(text) as unknown;
  } catch (e) {
    throw new Error(`redaction policy ${file}: not YAML/JSON: ${(e as Error).message}`);
  }
  const r = policySchema.safeParse(raw ?? {});
  if (!r.success) {
    throw new Error(`redaction policy ${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.data;
}

/** null when neither redaction nor content dropping is on. */
export async function createPrivacy(s: PrivacySettings): Promise<Privacy | null> {
  if (!s.enabled && !s.dropContent) {
    return null;
  }
  if (!s.key) {
    throw new Error('PYFLARE_REDACTION_KEY is required when redaction or content dropping is on');
  }
  const file = s.policyFile ? await loadPolicyFile(s.policyFile) : {};
  const policy: RedactionPolicy = {
    ...file,
    mode: file.mode ?? s.mode,
    dropContent: (file.dropContent ?? false) || s.dropContent,
  };
  if (!s.enabled) {
    // Content dropping alone: no detectors, only the content switch and the credential headers.
    policy.patterns = { secret: 'off', email: 'off', iban: 'off', card: 'off', ssn: 'off', ipv6: 'off', ipv4: 'off', phone: 'off' };
    policy.custom = [];
  }
  return { redactor: new Redactor({ policy, key: s.key }), walCipher: new WalCipher(s.key) };
}
