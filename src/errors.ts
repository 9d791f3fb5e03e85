/**
 * The errors the library throws on purpose. Each says, in one sentence, what is wrong and how to fix
 * it, in the library's own terms (field and file names, never command-line flags): the command line
 * maps them to its options and prints that one line. Anything else that escapes is a bug.
 */

/** The base of every error rnnkit throws on purpose; `instanceof RnnkitError` tells them from bugs. */
export class RnnkitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration value is out of range or inconsistent; `field` names it as the API spells it. */
export class ConfigError extends RnnkitError {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** A file's bytes or structure are not what its format requires; `tensor` names the part, where there is one. */
export class FormatError extends RnnkitError {
  constructor(readonly file: string, message: string, readonly tensor?: string) {
    super(message);
  }
}

/** Input data (a corpus, features, captions, lengths, targets) that cannot be used as given. */
export class DataError extends RnnkitError {
  constructor(readonly source: string, message: string) {
    super(message);
  }
}

/** A file-system operation failed; the message names the path and what to do. */
export class FileError extends RnnkitError {
  constructor(readonly path: string, readonly code: string | undefined, message: string) {
    super(message);
  }
}
