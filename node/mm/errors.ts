// Errors of the running market maker with stable codes (the admin routes map them to HTTP statuses).

export class MakerRuntimeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "MakerRuntimeError";
    this.code = code;
  }
}
