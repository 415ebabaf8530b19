/** Typed API errors, turned into HTTP statuses in one place (server.ts). Messages never hold a secret. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 502 | 503 | 504,
    message: string,
    readonly details?: readonly string[],
    /** Extra response headers (Retry-After). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, details?: readonly string[]): ApiError => new ApiError(400, message, details);
export const unauthorised = (): ApiError => new ApiError(401, 'log in, or send a valid Authorization: Bearer token');
export const forbidden = (message: string): ApiError => new ApiError(403, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);
export const conflict = (message: string): ApiError => new ApiError(409, message);
