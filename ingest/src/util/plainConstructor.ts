// Objects built in bulk on hot paths (decoded OTLP messages, held span rows) come from
// constructor functions, not object literals. V8 pretenures an object-literal allocation site
// once a scavenge finds most of its objects alive, which is always the case while a batch is
// being decoded (the partial result is live). Pretenured results then die in old space, and
// every scavenge has to scan them: decoding ran 2-3x slower with 10+ ms scavenges. `new F()`
// allocations carry no such feedback. Setting each constructor's prototype to Object.prototype
// keeps the instances indistinguishable from plain objects (deepStrictEqual, spreading, JSON).

/** Turns a field-initialising function into a constructor of plain objects. */
export function plainConstructor<C>(init: (...args: never[]) => void): C {
  (init as unknown as { prototype: object }).prototype = Object.prototype;
  return init as unknown as C;
}
