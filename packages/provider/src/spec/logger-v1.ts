/** A small structured logger handed to providers. Never pass secrets to it. */
export interface LoggerV1 {
  /** Detail for debugging; shown when `DEBUG=mediaconduit:*` (or a matching pattern) is set. */
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something the user should know about, such as an ignored option. */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** A failure that was handled but should be seen. */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}
