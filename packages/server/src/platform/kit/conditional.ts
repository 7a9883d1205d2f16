/**
 * A conditional statement (`UPDATE … WHERE version = ?`, `… WHERE status = 'active'`) matched no
 * row: someone else got there first. Thrown inside a transaction to roll it back; the caller
 * catches it to read the state again, or to answer 409.
 */
export class ConditionalMiss extends Error {
  constructor(message = "the row changed meanwhile") {
    super(message);
    this.name = "ConditionalMiss";
  }
}

/** What Kysely reports for a write: whichever count the statement has. */
interface WriteResult {
  numUpdatedRows?: bigint;
  numDeletedRows?: bigint;
  numInsertedOrUpdatedRows?: bigint | undefined;
}

/** The number of rows a write touched. */
export function affected(result: WriteResult): number {
  return Number(
    result.numUpdatedRows ?? result.numDeletedRows ?? result.numInsertedOrUpdatedRows ?? 0,
  );
}

/** Throws ConditionalMiss unless the write touched exactly one row. */
export function expectOne(result: WriteResult, message?: string): void {
  if (affected(result) !== 1) throw new ConditionalMiss(message);
}
