/** A bad query parameter: answered with 400 and a message that starts with the parameter name. */
export class QueryError extends Error {
  constructor(
    readonly param: string,
    detail: string
  ) {
    super(`${param}: ${detail}`);
    this.name = 'QueryError';
  }
}
