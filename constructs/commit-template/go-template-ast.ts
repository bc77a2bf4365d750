/** A 1-based position in a template, for error messages. */
export interface TemplatePos {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** A number literal: Go keeps integers and floats apart (`3` prints `3`, `3.0` prints `3`, `1e6` prints `1e+06`). */
export type NumberLiteral = { readonly kind: 'int'; readonly value: number } | { readonly kind: 'float'; readonly value: number };

/** An operand of a command. */
export type TemplateArg =
  /** `.` */
  | { readonly type: 'dot'; readonly pos: TemplatePos }
  /** `.A.B` (fields or methods of dot). */
  | { readonly type: 'field'; readonly chain: readonly string[]; readonly pos: TemplatePos }
  /** `$` or `$x`, optionally followed by `.A.B`. */
  | { readonly type: 'variable'; readonly name: string; readonly chain: readonly string[]; readonly pos: TemplatePos }
  /** A function name. */
  | { readonly type: 'identifier'; readonly name: string; readonly pos: TemplatePos }
  /** `(pipeline)`, optionally followed by `.A.B`. */
  | { readonly type: 'pipe'; readonly pipe: TemplatePipe; readonly chain: readonly string[]; readonly pos: TemplatePos }
  | { readonly type: 'string'; readonly value: string; readonly pos: TemplatePos }
  | { readonly type: 'number'; readonly value: NumberLiteral; readonly pos: TemplatePos }
  | { readonly type: 'bool'; readonly value: boolean; readonly pos: TemplatePos }
  | { readonly type: 'nil'; readonly pos: TemplatePos };

/** One command of a pipeline: a function or method with arguments, or a single operand. */
export interface TemplateCommand {
  readonly args: readonly TemplateArg[];
  readonly pos: TemplatePos;
}

/** `[$x :=] cmd | cmd | ...` */
export interface TemplatePipe {
  /** Declared or assigned variables (`$x`), in order. */
  readonly decl: readonly string[];
  /** `=` rather than `:=`. */
  readonly isAssign: boolean;
  readonly cmds: readonly TemplateCommand[];
  readonly pos: TemplatePos;
}

/** A node of a parsed template. */
export type TemplateNode =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'action'; readonly pipe: TemplatePipe; readonly pos: TemplatePos }
  | TemplateControl
  | { readonly type: 'break' | 'continue'; readonly pos: TemplatePos };

/** `{{if}}`, `{{with}}` or `{{range}}` with its body and optional `{{else}}` body. */
export interface TemplateControl {
  readonly type: 'if' | 'with' | 'range';
  readonly pipe: TemplatePipe;
  readonly list: readonly TemplateNode[];
  readonly elseList?: readonly TemplateNode[];
  readonly pos: TemplatePos;
}

/** A parsed template. */
export interface ParsedTemplate {
  /** The template text. */
  readonly source: string;
  /** Top-level nodes. */
  readonly nodes: readonly TemplateNode[];
}
