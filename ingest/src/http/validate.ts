import type { z } from 'zod';
import { HttpError } from './errors.js';

/** zod parse that answers 400 naming the bad field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : where}: ${i.message}`).join('; ');
    throw new HttpError(400, msg);
  }
  return r.data;
}
