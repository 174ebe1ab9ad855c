// Frees a buffer's memory now instead of at V8's next full collection.
//
// A request body lives for a few tens of milliseconds (until the WAL's group commit): long enough
// to survive two young-generation collections and be promoted. Its memory (malloc'd, outside the
// JS heap) then stays allocated until the next full collection, about a second later at full load:
// ~60 MB of spent bodies in the bench. Transferring the ArrayBuffer to a throwaway clone hands the
// memory to an object that dies young, and detaches the buffer: from then on every view of it is
// empty (length 0), so a late reader sees nothing rather than another request's bytes.

/** Below this a release does not pay for itself (small buffers share Node's 8 KiB pool anyway). */
const MIN_BYTES = 64 * 1024;

/**
 * Releases `b` if it is the only view of its whole ArrayBuffer and at least 64 KiB; returns
 * whether it did. Only for a buffer the caller allocated and nobody reads any more.
 */
export function releaseBuffer(b: Uint8Array): boolean {
  const ab = b.buffer;
  if (!(ab instanceof ArrayBuffer) || b.byteOffset !== 0 || b.byteLength !== ab.byteLength || ab.byteLength < MIN_BYTES) {
    return false;
  }
  structuredClone(ab, { transfer: [ab] });
  return true;
}
