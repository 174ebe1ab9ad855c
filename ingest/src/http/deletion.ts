// Erasure requests (GDPR): admin scope. Deletes every span of a user id or session id, with an
// audit record; applies everything already acknowledged first, so no queued span of that user
// lands after the deletion.
import type { FastifyInstance } from 'fastify';
import { keyFromHeaders, type Auth } from '../auth/keys.js';
import type { AuditLog } from '../privacy/audit.js';
import type { Storage } from '../storage/types.js';
import { deletionBody } from './serviceApi.js';
import { parse } from './validate.js';

export interface DeletionDeps {
  storage: Pick<Storage, 'deleteSpans'>;
  auth: Auth;
  audit: AuditLog;
  /** Applies every acknowledged span to storage. */
  flush(): Promise<void>;
  /** The forms an id may be stored in (as sent, and hashed when a redaction rule hashes it). */
  userIdForms(v: string): string[];
  sessionIdForms(v: string): string[];
}

export async function registerDeletionRoutes(app: FastifyInstance, deps: DeletionDeps): Promise<void> {
  app.post('/api/v1/admin/deletions', { config: { scope: 'admin' } }, async (req, reply) => {
    const body = parse(deletionBody, req.body, 'body');
    const who = deps.auth.authorize(keyFromHeaders(req.headers), 'admin').keyId;
    await deps.flush();
    let n = 0;
    for (const u of body.userId !== undefined ? deps.userIdForms(body.userId) : []) {
      n += await deps.storage.deleteSpans({ userId: u });
    }
    for (const s of body.sessionId !== undefined ? deps.sessionIdForms(body.sessionId) : []) {
      n += await deps.storage.deleteSpans({ sessionId: s });
    }
    const rec = await deps.audit.append({
      requestedBy: who,
      userIdHash: body.userId !== undefined ? deps.audit.hashId(body.userId) : null,
      sessionIdHash: body.sessionId !== undefined ? deps.audit.hashId(body.sessionId) : null,
      deletedSpans: n,
      reason: body.reason ?? null,
    });
    return reply.code(200).send(rec);
  });

  app.get('/api/v1/admin/deletions', { config: { scope: 'admin' } }, async () => ({ deletions: (await deps.audit.list()).reverse() }));
}
