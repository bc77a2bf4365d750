import { checkGoTemplate } from './check-go-template';
import { COMMIT_TEMPLATE_DATA_TYPE, CommitTemplateInput, commitTemplateData } from './commit-template-data';
import { CommitTemplateError } from './commit-template-error';
import { executeGoTemplate } from './execute-go-template';
import { ParsedTemplate } from './go-template-ast';
import { parseGoTemplate } from './parse-go-template';

/** A commit message template that parsed and type-checked against Flux's template data. */
export interface CompiledCommitTemplate {
  /** The template text. */
  readonly source: string;
  /** The parse tree. */
  readonly parsed: ParsedTemplate;
}

/**
 * Parses a commit message template (Go text/template syntax) and checks every field, method and
 * function it uses against Flux's template data, so mistakes surface when the fleet is defined
 * rather than at the first image update. Throws {@link CommitTemplateError}.
 */
export function compileCommitTemplate(source: string): CompiledCommitTemplate {
  if (typeof source !== 'string' || source.trim() === '') {
    throw new CommitTemplateError({ phase: 'parse', line: 1, column: 1, reason: 'must be a non-empty Go template' });
  }
  const parsed = parseGoTemplate(source);
  checkGoTemplate(parsed, COMMIT_TEMPLATE_DATA_TYPE);
  return { source, parsed };
}

/** The reason a template is not usable (`line:column: reason`), or undefined; for construct validation. */
export function commitTemplateProblem(source: string): string | undefined {
  try {
    compileCommitTemplate(source);
    return undefined;
  } catch (err) {
    if (err instanceof CommitTemplateError) return `${err.line}:${err.column}: ${err.reason}`;
    throw err;
  }
}

/** Renders a template (text or compiled) with the data for a set of changes. */
export function renderCommitTemplate(template: string | CompiledCommitTemplate, input: CommitTemplateInput): string {
  const compiled = typeof template === 'string' ? compileCommitTemplate(template) : template;
  return executeGoTemplate(compiled.parsed, commitTemplateData(input));
}
