/**
 * What the store throws. Messages name the field or the setting at fault and
 * never carry a stored value or a password: desired configs hold stream keys.
 */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** ROOMCAST_FLEET_DATABASE_URL is not a PostgreSQL URL; the message shows it with the password masked. */
export class DatabaseUrlError extends StoreError {
  override name = 'DatabaseUrlError';
}

/** An argument the store cannot keep as given (a time that is not a date, a negative limit). */
export class StoreInputError extends StoreError {
  override name = 'StoreInputError';
}

/** A row that does not decode: written by something else, or by a newer release. */
export class StoredValueError extends StoreError {
  override name = 'StoredValueError';
}

/** A call after close(). */
export class StoreClosedError extends StoreError {
  override name = 'StoreClosedError';
  constructor() {
    super('the fleet store is closed');
  }
}
