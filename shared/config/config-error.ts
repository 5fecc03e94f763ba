/** A configuration problem; the message names the key, the value and the rule. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    /** Dotted path of the offending key, e.g. "spool.maxBytes"; "" for the whole document. */
    readonly key: string,
  ) {
    super(message);
  }
}
