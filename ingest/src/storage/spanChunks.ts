// Normalized spans -> DuckDB data chunks, written column by column into native vectors as each
// span is normalized. The ingest path keeps no JS row objects for large requests: a span's
// strings become garbage right after they are copied into the chunk, and queued spans live in
// native memory, outside the V8 heap (so they cost the garbage collector nothing). Small
// requests are the exception (HOLD_BODY_BYTES): their rows wait as objects and are packed into
// shared chunks when applied. Applying a batch hands its chunks to DuckDB through one
// table-function scan (ChunkScan, below).
//
// Numbers, validity masks and list offsets are staged in typed arrays and copied once per
// chunk; strings are assigned one by one (one native call each). Chunks are reused.
import ddb from '@duckdb/node-bindings';
import { TimeSlices } from '../util/slices.js';
import { CHUNK_ROWS, TableScan } from './tableScan.js';
import type { SpanRow } from './types.js';

export { CHUNK_ROWS };

/**
 * The spans table's columns in the order this writer fills them. The table is checked
 * against it when storage opens (a new column must be added here too).
 */
export const CHUNK_COLUMNS = [
  'trace_id',
  'span_id',
  'parent_span_id',
  'trace_state',
  'name',
  'kind',
  'service',
  'scope_name',
  'scope_version',
  'start_ns',
  'end_ns',
  'duration_ns',
  'status_code',
  'status_message',
  'span_kind',
  'provider',
  'request_model',
  'response_model',
  'operation',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cost_micros',
  'cost_source',
  'price_key',
  'session_id',
  'user_id',
  'agent_name',
  'tool_name',
  'finish_reasons',
  'input_content',
  'output_content',
  'attributes',
  'resource_attributes',
  'events',
  'links',
  'truncated',
] as const;

// Column numbers by kind.
const START = 9;
const END = 10;
const DURATION = 11;
const STATUS = 12;
/** Nullable BIGINT columns (numbers in JS). */
const INT_COLS = [19, 20, 21, 22, 23, 24];
const FINISH = 31;
const TRUNCATED = 38;
// String columns by how they are written:
// - long ones (ids, names, JSON, content) go to DuckDB at once, one native call each, so the
//   span's strings are garbage as soon as the span is added;
// - short ones (kinds, providers, '' and '[]') are written inline into a staging copy of the
//   vector, copied with one native call per column at seal() (the rare long value waits);
// - resource and scope columns hold one value per request as a rule: a constant vector then.
const LONG_COLS = [0, 1, 2, 4, 16, 17, 26, 29, 30, 32, 33, 34];
const NULLABLE_LONG = new Set([16, 17, 26, 29, 30, 32, 33]);
const SHORT_COLS = [3, 5, 13, 14, 15, 18, 25, 27, 28, 36, 37];
const NULLABLE_SHORT = new Set([15, 18, 25, 27, 28]);
const CONST_COLS = [6, 7, 8, 35];

{
  // Every column is written by exactly one of the paths above or the typed arrays.
  const all = [...LONG_COLS, ...SHORT_COLS, ...CONST_COLS, START, END, DURATION, STATUS, ...INT_COLS, FINISH, TRUNCATED].sort((a, b) => a - b);
  if (all.join() !== CHUNK_COLUMNS.map((_, i) => i).join()) {
    throw new Error('spanChunks: column layout is inconsistent');
  }
}

// Content that is an attribute's value verbatim (SpanRow.inputContentKey) is stored once, in
// the attributes; its column holds a reference, resolved on read (resolveContent). Prompts and
// completions are most of a span's bytes: stored twice, DuckDB compressed them twice.
// Measured (bench/ingest-apply.bench.ts): ~3 us per span less DuckDB CPU, ~19% smaller file.
const CONTENT_REF = '\u0000pyflare-attribute:';
const refCache = new Map<string, string>();
function contentRef(key: string): string {
  let r = refCache.get(key);
  if (r === undefined) {
    r = CONTENT_REF + key;
    if (refCache.size < 64) {
      refCache.set(key, r);
    }
  }
  return r;
}

/** A content column's stored value with a reference (see contentRef) replaced by the attribute's text. */
export function resolveContent(stored: string | null, attributes: () => Record<string, unknown>): string | null {
  if (stored === null || !stored.startsWith(CONTENT_REF)) {
    return stored;
  }
  const v = attributes()[stored.slice(CONTENT_REF.length)];
  return typeof v === 'string' ? v : null;
}

const VALIDITY_BYTES = Math.ceil(CHUNK_ROWS / 64) * 8;
const TWO_32 = 4294967296;
const assign = ddb.vector_assign_string_element;

// Long strings (attribute JSON, prompts, completions) are encoded with TextEncoder into a
// scratch buffer and handed over as bytes: one pass over the text, where the plain assign
// measured the UTF-8 length first and then wrote it into a temporary copy.
const LONG_TEXT = 256;
const encoder = new TextEncoder();
let scratch = new Uint8Array(256 * 1024);
function assignText(vec: ddb.Vector, i: number, s: string): void {
  if (s.length < LONG_TEXT) {
    assign(vec, i, s);
    return;
  }
  if (s.length * 3 > scratch.length) {
    scratch = new Uint8Array(s.length * 3);
  }
  const { written } = encoder.encodeInto(s, scratch);
  ddb.vector_assign_string_element_len(vec, i, scratch.subarray(0, written));
}

/** A short-string column: DuckDB string_t slots (u32 length + up to 12 bytes inline) and the values too long for them. */
class ShortColumn {
  readonly slots = new Uint8Array(CHUNK_ROWS * 16);
  inline = 0;
  readonly longRows: number[] = [];
  readonly longValues: string[] = [];

  clear(n: number): void {
    this.slots.fill(0, 0, n * 16);
    this.inline = 0;
    this.longRows.length = 0;
    this.longValues.length = 0;
  }

  set(i: number, v: string): void {
    const len = v.length;
    if (len <= 12) {
      const slots = this.slots;
      const o = i * 16;
      let c = 0;
      for (; c < len; c++) {
        const code = v.charCodeAt(c);
        if (code >= 0x80) {
          break;
        }
        slots[o + 4 + c] = code;
      }
      if (c === len) {
        slots[o] = len;
        this.inline++;
        return;
      }
      slots.fill(0, o, o + 16);
    }
    this.longRows.push(i);
    this.longValues.push(v);
  }

  seal(vec: ddb.Vector, n: number): void {
    if (this.inline > 0) {
      ddb.copy_data_to_vector(vec, 0, this.slots.buffer, 0, n * 16);
    }
    for (let k = 0; k < this.longRows.length; k++) {
      assign(vec, this.longRows[k]!, this.longValues[k]!);
    }
  }
}

/**
 * The typed arrays a chunk is filled through. Chunks are filled one at a time (requests are
 * normalized one at a time, start to seal()), so one set serves all of them, and a second one
 * the chunks an apply packs (see packStaging): a pooled chunk then costs only its native
 * vectors, not ~0.5 MB of staging too.
 */
class Staging {
  owner: Chunk | null = null;
  readonly start = new BigInt64Array(CHUNK_ROWS);
  readonly end = new BigInt64Array(CHUNK_ROWS);
  readonly duration = new BigInt64Array(CHUNK_ROWS);
  readonly status = new Uint8Array(CHUNK_ROWS);
  readonly truncated = new Uint8Array(CHUNK_ROWS);
  /** Per nullable BIGINT column: values as uint32 pairs (little-endian int64). */
  readonly ints = INT_COLS.map(() => new Uint32Array(CHUNK_ROWS * 2));
  /** Validity per column number (nullable columns only). */
  readonly valid: Uint8Array[] = [];
  readonly short: ShortColumn[] = [];
  /** Per CONST_COLS entry: the value of each row (usually one string shared by all). */
  readonly constVals: string[][] = CONST_COLS.map(() => new Array<string>(CHUNK_ROWS).fill(''));
  readonly constSame: boolean[] = CONST_COLS.map(() => true);
  /** finish_reasons: (offset, length) uint64 pairs per row, and the flattened strings. */
  readonly listEntries = new Uint32Array(CHUNK_ROWS * 4);
  listItems: string[] = [];
  private used = CHUNK_ROWS;

  constructor() {
    for (const c of [...INT_COLS, ...NULLABLE_LONG, ...NULLABLE_SHORT]) {
      this.valid[c] = new Uint8Array(VALIDITY_BYTES);
    }
    for (const c of SHORT_COLS) {
      this.short[c] = new ShortColumn();
    }
  }

  begin(owner: Chunk): void {
    if (this.owner !== null && this.owner !== owner) {
      throw new Error('span chunks: two chunks are being filled at once');
    }
    this.owner = owner;
    for (const v of this.valid) {
      v?.fill(0xff);
    }
    for (const c of SHORT_COLS) {
      this.short[c]!.clear(this.used);
    }
    this.constSame.fill(true);
    this.listItems = [];
  }

  end_(n: number): void {
    this.owner = null;
    this.used = Math.max(n, 1);
    this.listItems = [];
    for (const vals of this.constVals) {
      vals.fill('', 0, n);
    }
  }
}
/** Chunks filled as requests are normalized (one at a time: see intake/exporter.ts). */
const intakeStaging = new Staging();
/**
 * Chunks packed from held rows inside an apply (DuckDbStorage.applyPrepared, under its write
 * lock), which may run while a request's chunk is half filled between two normalization slices.
 */
const packStaging = new Staging();

/** One reusable data chunk. */
class Chunk {
  readonly chunk: ddb.DataChunk;
  vectors: ddb.Vector[] = [];
  n = 0;
  /** After seal(): per column number, the value of a column sent as a constant vector. */
  readonly constants: Array<string | undefined> = [];
  /** The staging its rows go through (set by the builder that fills it). */
  st: Staging = intakeStaging;

  constructor(types: readonly ddb.LogicalType[]) {
    this.chunk = ddb.create_data_chunk(types);
    this.clear();
  }

  /** Ready for new rows (after create or after its rows were appended); frees its strings. */
  clear(): void {
    ddb.data_chunk_reset(this.chunk);
    this.vectors = CHUNK_COLUMNS.map((_, i) => ddb.data_chunk_get_vector(this.chunk, i));
    this.n = 0;
    this.constants.length = 0;
  }

  add(r: Readonly<SpanRow>): void {
    const st = this.st;
    if (this.n === 0) {
      st.begin(this);
    } else if (st.owner !== this) {
      throw new Error('span chunks: chunk filled after it was sealed');
    }
    const i = this.n++;
    const v = this.vectors;
    const sh = st.short;
    assign(v[0]!, i, r.traceId);
    assign(v[1]!, i, r.spanId);
    assign(v[2]!, i, r.parentSpanId);
    sh[3]!.set(i, r.traceState);
    assign(v[4]!, i, r.name);
    sh[5]!.set(i, r.kind);
    this.constant(0, i, r.service);
    this.constant(1, i, r.scopeName);
    this.constant(2, i, r.scopeVersion);
    st.start[i] = r.startNs;
    st.end[i] = r.endNs;
    st.duration[i] = r.durationNs;
    st.status[i] = r.statusCode;
    sh[13]!.set(i, r.statusMessage);
    sh[14]!.set(i, r.spanKind);
    this.shortn(15, i, r.provider);
    this.longn(16, i, r.requestModel);
    this.longn(17, i, r.responseModel);
    this.shortn(18, i, r.operation);
    this.int(0, i, r.inputTokens);
    this.int(1, i, r.outputTokens);
    this.int(2, i, r.cacheReadTokens);
    this.int(3, i, r.cacheWriteTokens);
    this.int(4, i, r.reasoningTokens);
    this.int(5, i, r.costMicros);
    this.shortn(25, i, r.costSource);
    this.longn(26, i, r.priceKey);
    this.shortn(27, i, r.sessionId);
    this.shortn(28, i, r.userId);
    this.longn(29, i, r.agentName);
    this.longn(30, i, r.toolName);
    const reasons = r.finishReasons;
    const entries = st.listEntries;
    entries[i * 4] = st.listItems.length;
    entries[i * 4 + 1] = 0;
    entries[i * 4 + 2] = reasons.length;
    entries[i * 4 + 3] = 0;
    for (let k = 0; k < reasons.length; k++) {
      st.listItems.push(reasons[k]!);
    }
    this.longn(32, i, r.inputContentKey ? contentRef(r.inputContentKey) : r.inputContent);
    this.longn(33, i, r.outputContentKey ? contentRef(r.outputContentKey) : r.outputContent);
    assignText(v[34]!, i, r.attributes);
    this.constant(3, i, r.resourceAttributes);
    sh[36]!.set(i, r.events);
    sh[37]!.set(i, r.links);
    st.truncated[i] = r.truncated ? 1 : 0;
  }

  private setNull(col: number, i: number): void {
    const valid = this.st.valid[col]!;
    valid[i >> 3] = valid[i >> 3]! & ~(1 << (i & 7));
  }

  private longn(col: number, i: number, s: string | null): void {
    if (s === null) {
      this.setNull(col, i);
    } else {
      assignText(this.vectors[col]!, i, s);
    }
  }

  private shortn(col: number, i: number, s: string | null): void {
    if (s === null) {
      this.setNull(col, i);
    } else {
      this.st.short[col]!.set(i, s);
    }
  }

  private constant(k: number, i: number, s: string): void {
    const st = this.st;
    const vals = st.constVals[k]!;
    vals[i] = s;
    if (i > 0 && st.constSame[k] && s !== vals[0]) {
      st.constSame[k] = false;
    }
  }

  private int(k: number, i: number, x: number | null): void {
    const words = this.st.ints[k]!;
    if (x === null) {
      this.setNull(INT_COLS[k]!, i);
      words[i * 2] = 0;
      words[i * 2 + 1] = 0;
    } else if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) {
      words[i * 2] = x % TWO_32;
      words[i * 2 + 1] = Math.floor(x / TWO_32);
    } else {
      new BigInt64Array(words.buffer, i * 8, 1)[0] = BigInt(Math.trunc(x));
    }
  }

  /** Copies the staged columns into the vectors; the chunk is then ready to append. */
  seal(): void {
    const n = this.n;
    if (n === 0) {
      return;
    }
    const st = this.st;
    const v = this.vectors;
    const copy = (vec: ddb.Vector, a: ArrayBufferView, bytes: number) => ddb.copy_data_to_vector(vec, 0, a.buffer as ArrayBuffer, a.byteOffset, bytes);
    for (const c of SHORT_COLS) {
      st.short[c]!.seal(v[c]!, n);
    }
    for (let k = 0; k < CONST_COLS.length; k++) {
      const vec = v[CONST_COLS[k]!]!;
      const vals = st.constVals[k]!;
      if (st.constSame[k]) {
        ddb.vector_reference_value(vec, ddb.create_varchar(vals[0]!));
        this.constants[CONST_COLS[k]!] = vals[0]!;
      } else {
        this.constants[CONST_COLS[k]!] = undefined;
        for (let i = 0; i < n; i++) {
          assign(vec, i, vals[i]!);
        }
      }
    }
    for (let c = 0; c < st.valid.length; c++) {
      const valid = st.valid[c];
      if (valid) {
        ddb.vector_ensure_validity_writable(v[c]!);
        ddb.copy_data_to_vector_validity(v[c]!, 0, valid.buffer as ArrayBuffer, valid.byteOffset, valid.byteLength);
      }
    }
    copy(v[START]!, st.start, n * 8);
    copy(v[END]!, st.end, n * 8);
    copy(v[DURATION]!, st.duration, n * 8);
    copy(v[STATUS]!, st.status, n);
    copy(v[TRUNCATED]!, st.truncated, n);
    for (let k = 0; k < INT_COLS.length; k++) {
      copy(v[INT_COLS[k]!]!, st.ints[k]!, n * 8);
    }
    const list = v[FINISH]!;
    const items = st.listItems;
    ddb.list_vector_reserve(list, items.length);
    ddb.list_vector_set_size(list, items.length);
    if (items.length > 0) {
      const child = ddb.list_vector_get_child(list);
      for (let k = 0; k < items.length; k++) {
        assign(child, k, items[k]!);
      }
    }
    copy(list, st.listEntries, n * 16);
    ddb.data_chunk_set_size(this.chunk, n);
    st.end_(n);
  }

  /** Gives up the rows being filled (the batch failed): the staging is free for others. */
  abandon(): void {
    if (this.st.owner === this) {
      this.st.end_(this.n);
    }
  }
}

/**
 * Reuses chunks: creating one allocates every column's vector (~1 MB of address space, of
 * which only the rows written become resident), and a dropped chunk's native memory is freed
 * only when V8 collects its small wrapper, which can take long (V8 does not see the native
 * memory), and creating one costs ~150-200 us of CPU. So chunks are kept rather than dropped,
 * up to `maxIdle` (idleChunksFor: as many as the intake queue can hold requests that take one);
 * the ingest bench's 512-span requests need ~20. An idle chunk that was once full keeps ~1.1 MB
 * resident (it was 1,024 chunks: ~1.1 GB after a burst). clear() frees their strings.
 */
export class ChunkPool {
  private readonly idle: Chunk[] = [];

  constructor(
    private readonly types: readonly ddb.LogicalType[],
    private readonly maxIdle = 160
  ) {}

  take(): Chunk {
    return this.idle.pop() ?? new Chunk(this.types);
  }

  give(c: Chunk): void {
    c.clear();
    if (this.idle.length < this.maxIdle) {
      this.idle.push(c);
    }
  }

  /** Chunks kept for reuse (tests). */
  get idleCount(): number {
    return this.idle.length;
  }
}

/**
 * The spans of one batch (one request, or one replayed WAL record): as sealed chunks, or, for a
 * batch of at most HOLD_ROWS spans, as row objects (`held`) that the apply packs into chunks
 * shared with the other small batches it applies (DuckDbStorage.applyPrepared).
 */
export class SpanChunks {
  constructor(
    readonly chunks: readonly Chunk[],
    readonly rows: number,
    private readonly pool: ChunkPool,
    readonly held: readonly SpanRow[] = []
  ) {}

  /** Returns the chunks to the pool; the batch must not be used afterwards. */
  release(): void {
    for (const c of this.chunks) {
      this.pool.give(c);
    }
  }
}

// ---- handing chunks to DuckDB ----------------------------------------------------------------
// The Appender would copy each chunk (append_data_chunk) and then append it to the
// transaction's storage (flush: statistics, the trace-id index) on the calling thread, which is
// the JS thread: ~10 us per span there. Instead, `INSERT INTO spans SELECT *, <trace key> FROM
// pyflare_chunk_scan()` pulls the chunks through a table function (tableScan.ts), whose
// callback (on the JS thread) only copies each column's raw vector data: numbers and
// validity as they are, strings as DuckDB string_t entries, which point into the prepared
// chunk's string heap (it stays alive until the statement is done; the insert copies the
// strings into table storage).

const TYPE_VARCHAR = 17;
const TYPE_LIST = 24;
const TYPE_BIGINT = 5;

/** Feeds prepared chunks to the table function `name` on one connection. */
export class ChunkScan extends TableScan<Chunk> {
  private readonly widths: number[];
  private readonly lists: boolean[];

  constructor(
    name: string,
    private readonly types: readonly ddb.LogicalType[]
  ) {
    super(name);
    const ids = types.map((t) => ddb.get_type_id(t));
    this.widths = ids.map((id) => (id === TYPE_VARCHAR || id === TYPE_LIST ? 16 : id === TYPE_BIGINT ? 8 : 1));
    this.lists = ids.map((id) => id === TYPE_LIST);
  }

  protected rowsIn(items: readonly Chunk[]): number {
    let n = 0;
    for (const c of items) {
      n += c.n;
    }
    return n;
  }

  protected bind(info: ddb.TableFunctionBindInfo): void {
    this.types.forEach((t, i) => ddb.bind_add_result_column(info, CHUNK_COLUMNS[i]!, t));
  }

  protected fill(out: ddb.DataChunk): void {
    // As many pending chunks as fit in one output chunk: every call is a hop from the DuckDB
    // thread to the JS thread, which may be busy normalizing a request.
    const group: Chunk[] = [];
    let rows = 0;
    while (this.next < this.pending.length && rows + this.pending[this.next]!.n <= CHUNK_ROWS) {
      const c = this.pending[this.next++]!;
      group.push(c);
      rows += c.n;
    }
    if (group.length === 0) {
      ddb.data_chunk_set_size(out, 0);
    } else {
      this.copy(group, rows, out);
    }
  }

  private copy(group: readonly Chunk[], rows: number, out: ddb.DataChunk): void {
    for (let col = 0; col < this.widths.length; col++) {
      const dst = ddb.data_chunk_get_vector(out, col);
      const first = group[0]!.constants[col];
      if (first !== undefined && group.every((c) => c.constants[col] === first)) {
        ddb.vector_reference_value(dst, ddb.create_varchar(first));
        continue;
      }
      const width = this.widths[col]!;
      let merged: Uint8Array | null = null;
      let childSize = 0;
      let entries: Uint32Array | null = null;
      if (this.lists[col]) {
        childSize = group.reduce((n, c) => n + ddb.list_vector_get_size(c.vectors[col]!), 0);
        ddb.list_vector_reserve(dst, childSize);
        ddb.list_vector_set_size(dst, childSize);
        entries = new Uint32Array(rows * 4);
      }
      let row = 0;
      let child = 0;
      for (const c of group) {
        const n = c.n;
        const src = c.vectors[col]!;
        const constant = c.constants[col];
        if (constant !== undefined) {
          // This chunk holds one value as a constant vector, the others do not: spell it out.
          for (let i = 0; i < n; i++) {
            assign(dst, row + i, constant);
          }
          row += n;
          continue;
        }
        const data = ddb.vector_get_data(src, n * width);
        if (entries) {
          const size = ddb.list_vector_get_size(src);
          if (size > 0) {
            const items = ddb.vector_get_data(ddb.list_vector_get_child(src), size * 16);
            ddb.copy_data_to_vector(ddb.list_vector_get_child(dst), child * 16, items.buffer as ArrayBuffer, items.byteOffset, size * 16);
          }
          // list_entry_t: u64 offset, u64 length; offsets move by the children before this chunk.
          const e = new Uint32Array(data.buffer, data.byteOffset, n * 4);
          for (let i = 0; i < n; i++) {
            entries[(row + i) * 4] = e[i * 4]! + child;
            entries[(row + i) * 4 + 2] = e[i * 4 + 2]!;
          }
          child += size;
        } else {
          ddb.copy_data_to_vector(dst, row * width, data.buffer as ArrayBuffer, data.byteOffset, n * width);
        }
        const valid = ddb.vector_get_validity(src, Math.ceil(n / 64) * 8);
        if (valid) {
          if (group.length === 1) {
            merged = valid;
          } else {
            merged ??= new Uint8Array(VALIDITY_BYTES).fill(0xff);
            for (let i = 0; i < n; i++) {
              if ((valid[i >> 3]! & (1 << (i & 7))) === 0) {
                const j = row + i;
                merged[j >> 3] = merged[j >> 3]! & ~(1 << (j & 7));
              }
            }
          }
        }
        row += n;
      }
      if (entries) {
        ddb.copy_data_to_vector(dst, 0, entries.buffer as ArrayBuffer, 0, rows * 16);
      }
      if (merged) {
        ddb.vector_ensure_validity_writable(dst);
        ddb.copy_data_to_vector_validity(dst, 0, merged.buffer as ArrayBuffer, merged.byteOffset, Math.ceil(rows / 64) * 8);
      }
    }
    ddb.data_chunk_set_size(out, rows);
  }
}

/**
 * A request whose body is smaller than HOLD_BODY_BYTES holds its first HOLD_ROWS spans as row
 * objects until its apply, rather than taking a chunk of its own. A chunk costs ~160 KB resident
 * however few rows it holds (one page of each column's 2048-row vector, and its string pages), so
 * a queue of small requests, which the intake bounds by their bytes, took ~160 KB per request:
 * measured, 4,000 queued one-span requests took 650 MB. Held rows cost what their strings cost.
 * Larger requests (the bench's 1 MB of 512 spans) go straight into chunks: copying rows would
 * cost them CPU, and their chunk is small beside their body.
 */
export const HOLD_BODY_BYTES = 128 * 1024;
export const HOLD_ROWS = 256;

/**
 * Idle chunks worth keeping with an intake queue of `queueMaxBytes`: the requests that take a
 * chunk are at least HOLD_BODY_BYTES each, so the queue holds at most this many of them, plus a
 * few being normalized or logged (160 with the default 16 MiB). Fewer, and a full queue of them
 * creates and drops chunks all the time (measured: 39 KiB requests in chunks with a pool of 64:
 * ~7 us more CPU per span, and RSS up while dropped chunks wait for V8 to free them).
 */
export function idleChunksFor(queueMaxBytes: number): number {
  return Math.ceil(queueMaxBytes / HOLD_BODY_BYTES) + 32;
}

/** Fills the chunks of one batch (or, with forPacking(), of the held rows of one apply). */
export class SpanChunkBuilder {
  private readonly chunks: Chunk[] = [];
  private readonly held: SpanRow[] = [];
  private cur: Chunk | null = null;
  private rows = 0;

  /**
   * With `hold`, the first HOLD_ROWS rows are held; `copy` makes a row that outlives the add()
   * call (the normalizer reuses its row object).
   */
  constructor(
    private readonly pool: ChunkPool,
    private readonly hold: { copy: (r: Readonly<SpanRow>) => SpanRow } | null = null,
    private readonly staging: Staging = intakeStaging
  ) {}

  /** A builder for packHeld: no holding, and its own staging (see packStaging). */
  static forPacking(pool: ChunkPool): SpanChunkBuilder {
    return new SpanChunkBuilder(pool, null, packStaging);
  }

  add(r: Readonly<SpanRow>): void {
    if (this.hold !== null && this.cur === null && this.held.length < HOLD_ROWS) {
      this.held.push(this.hold.copy(r));
      this.rows++;
      return;
    }
    if (this.held.length > 0) {
      // The batch outgrew holding: its rows so far go into its first chunk.
      const held = this.held.splice(0);
      for (const h of held) {
        this.fill(h);
      }
    }
    this.fill(r);
    this.rows++;
  }

  private fill(r: Readonly<SpanRow>): void {
    let c = this.cur;
    if (c === null || c.n === CHUNK_ROWS) {
      c?.seal();
      c = this.pool.take();
      c.st = this.staging;
      this.chunks.push(c);
      this.cur = c;
    }
    c.add(r);
  }

  finish(): SpanChunks {
    this.cur?.seal();
    this.cur = null;
    return new SpanChunks(this.chunks.splice(0), this.rows, this.pool, this.held.splice(0));
  }

  /** Gives up the batch (e.g. the request failed). */
  discard(): void {
    this.cur?.abandon();
    for (const c of this.chunks.splice(0)) {
      this.pool.give(c);
    }
    this.held.length = 0;
    this.cur = null;
  }
}

/** packHeld lets the event loop run after this long: the OTLP acknowledgements wait for it. */
const PACK_SLICE_MS = 1;

/**
 * The held rows of `batches` packed into chunks of their own (null when none holds rows), filled
 * in batch order, in slices of about PACK_SLICE_MS (4,000 rows take ~5 ms). Release them once the
 * apply is done.
 */
export async function packHeld(pool: ChunkPool, batches: ReadonlyArray<{ spans: SpanChunks }>): Promise<SpanChunks | null> {
  if (!batches.some((b) => b.spans.held.length > 0)) {
    return null;
  }
  const b = SpanChunkBuilder.forPacking(pool);
  try {
    const slices = new TimeSlices(PACK_SLICE_MS);
    for (const x of batches) {
      for (const r of x.spans.held) {
        b.add(r);
        if (slices.due()) {
          await slices.pause();
        }
      }
    }
    return b.finish();
  } catch (e) {
    // The packing staging must not stay owned by a half-filled chunk: every later apply of held
    // rows would fail ('two chunks are being filled at once').
    b.discard();
    throw e;
  }
}
