// What a store says when it cannot do what it was asked, beyond "unavailable" (dependency-unavailable.ts). The
// adapters translate their driver's errors into these; the use cases decide what each means for the caller.

/** The store refuses the data itself (a value it cannot hold, a constraint it breaks): the same data fails every time. */
export class RecordRefusedError extends Error {
  constructor(cause: unknown) {
    super(`the store refuses the record: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'RecordRefusedError';
  }
}

/** The store cannot work as deployed (a missing table or column, no rights on it): no retry helps until someone acts. */
export class StoreMisconfiguredError extends Error {
  constructor(cause: unknown) {
    super(`the store is not set up as this service expects: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'StoreMisconfiguredError';
  }
}
