import { FluxOpsError } from '../../../errors';

/** Where one file failed to parse. */
export interface YamlFileProblem {
  /** Path of the file, as passed in. */
  readonly file: string;
  /** 1-based line of the first error in the file. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** What is wrong, without the location prefix. */
  readonly reason: string;
}

/**
 * One or more files that carry setter markers are not valid YAML (syntax errors, duplicate
 * keys). Thrown before anything is changed: no file is updated when any file is bad.
 */
export class SetterYamlError extends FluxOpsError {
  override readonly name = 'SetterYamlError';
  /** Every bad file, sorted by path. */
  readonly files: readonly YamlFileProblem[];
  /** Path of the first bad file. */
  readonly file: string;
  /** 1-based line of the first error in the first bad file. */
  readonly line: number;
  /** 1-based column of that error. */
  readonly column: number;

  constructor(files: readonly YamlFileProblem[]) {
    const first = files[0];
    const more = files.length > 1 ? ` (and ${files.length - 1} more file${files.length > 2 ? 's' : ''})` : '';
    super('invalid-yaml', `${first.file}:${first.line}:${first.column}: invalid YAML: ${first.reason}${more}; no file was changed`);
    this.files = files;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
  }
}

/**
 * An argument of `updateSetters` is malformed: an image that is not a valid reference (bad
 * name, tag or digest), a policy key that is not `<namespace>:<policy>`, or a file whose
 * content is not a string.
 */
export class SetterInputError extends FluxOpsError {
  override readonly name = 'SetterInputError';
  /** Which argument: `images` or `files`. */
  readonly input: 'images' | 'files';
  /** The key in that argument: the policy key (`<namespace>:<policy>`) or the file path. */
  readonly key: string;
  /** The bad field (`name`, `tag`, `digest`; `key` for the key itself; `content` for a file). */
  readonly field: string;
  /** The rejected value (file contents are not included). */
  readonly value: unknown;
  /** Why it was rejected. */
  readonly reason: string;

  constructor(init: { input: 'images' | 'files'; key: string; field: string; value: unknown; reason: string }) {
    const shown = init.input === 'files' ? '' : ` ${JSON.stringify(init.value)}`;
    super('invalid-setter-input', `${init.input}[${JSON.stringify(init.key)}].${init.field}${shown}: ${init.reason}`);
    this.input = init.input;
    this.key = init.key;
    this.field = init.field;
    this.value = init.input === 'files' ? undefined : init.value;
    this.reason = init.reason;
  }
}
