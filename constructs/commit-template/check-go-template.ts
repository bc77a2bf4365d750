import { CommitTemplateError } from './commit-template-error';
import { ParsedTemplate, TemplateArg, TemplateCommand, TemplateNode, TemplatePipe, TemplatePos } from './go-template-ast';
import { TEMPLATE_FUNCTIONS, UNSUPPORTED_SPRIG_FUNCTIONS } from './go-template-functions';
import { GoType, StructType, T_ANY, T_BOOL, T_FLOAT, T_INT, T_STRING, staticTypeName } from './go-values';

/** Hints for fields Flux removed from its template data, so old Flux templates get a useful message. */
const REMOVED_FLUX_FIELDS: Readonly<Record<string, string>> = {
  Updated: 'Flux removed .Updated from the template data; use .Changed (see https://fluxcd.io/flux/components/image/imageupdateautomations/#message-template)',
  ImageResult: 'Flux removed .Changed.ImageResult; use .Changed.FileChanges or .Changed.Objects',
};

const NOT_SET = Symbol('no final argument');
type Final = GoType | typeof NOT_SET;

/**
 * Checks a parsed template against the type of the data it will get, before it ever runs:
 * every field and method must exist on its receiver (`.Changed.Changes`, `.OldValue`), every
 * function must exist and get a valid number of arguments, `range` must get something it can
 * iterate. Throws {@link CommitTemplateError} (phase `check`) for the first problem.
 *
 * What it cannot know statically (map keys, values typed `interface{}`) is left to rendering.
 */
export function checkGoTemplate(template: ParsedTemplate, data: GoType): void {
  new Checker().walk(template.nodes, data, [{ name: '$', type: data }]);
}

interface Var {
  readonly name: string;
  type: GoType;
}

function problem(pos: TemplatePos, reason: string): CommitTemplateError {
  return new CommitTemplateError({ phase: 'check', ...pos, reason });
}

/** Looks up a field or no-argument method on a type, through embedded structs like Go's promotion. */
export function lookupMember(t: StructType, name: string): { kind: 'field' | 'method'; type: GoType } | undefined {
  if (name in t.methods) return { kind: 'method', type: t.methods[name] };
  const own = t.fields.find((f) => f.name === name);
  if (own) return { kind: 'field', type: own.type };
  for (const f of t.fields) {
    if (f.embedded && f.type.kind === 'struct') {
      const found = lookupMember(f.type, name);
      if (found) return found;
    }
  }
  return undefined;
}

class Checker {
  walk(nodes: readonly TemplateNode[], dot: GoType, vars: Var[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
        case 'break':
        case 'continue':
          break;
        case 'action':
          this.pipe(node.pipe, dot, vars);
          break;
        case 'if':
        case 'with': {
          const mark = vars.length;
          const t = this.pipe(node.pipe, dot, vars);
          this.walk(node.list, node.type === 'with' ? t : dot, vars);
          if (node.elseList) this.walk(node.elseList, dot, vars);
          vars.length = mark;
          break;
        }
        case 'range': {
          const mark = vars.length;
          const t = this.pipe({ ...node.pipe, decl: [] }, dot, vars);
          const [key, elem] = this.iterate(t, node.pos);
          if (node.pipe.decl.length === 1) this.declare(vars, node.pipe.decl[0], elem, node.pipe.isAssign, node.pos);
          if (node.pipe.decl.length === 2) {
            this.declare(vars, node.pipe.decl[0], key, node.pipe.isAssign, node.pos);
            this.declare(vars, node.pipe.decl[1], elem, node.pipe.isAssign, node.pos);
          }
          this.walk(node.list, elem, vars);
          if (node.elseList) this.walk(node.elseList, dot, vars);
          vars.length = mark;
          break;
        }
      }
    }
  }

  private iterate(t: GoType, pos: TemplatePos): [GoType, GoType] {
    switch (t.kind) {
      case 'slice':
        return [T_INT, t.elem];
      case 'map':
        return [t.key, t.elem];
      case 'int':
        return [T_INT, T_INT];
      case 'any':
        return [T_ANY, T_ANY];
      default:
        throw problem(pos, `range can't iterate over ${staticTypeName(t)}`);
    }
  }

  private declare(vars: Var[], name: string, type: GoType, isAssign: boolean, pos: TemplatePos): void {
    if (isAssign) {
      const v = [...vars].reverse().find((x) => x.name === name);
      if (!v) throw problem(pos, `undefined variable ${JSON.stringify(name)}`);
      v.type = T_ANY;
    } else vars.push({ name, type });
  }

  private pipe(pipe: TemplatePipe, dot: GoType, vars: Var[]): GoType {
    let final: Final = NOT_SET;
    for (const cmd of pipe.cmds) final = this.command(cmd, dot, vars, final);
    const t = final === NOT_SET ? T_ANY : final;
    for (const name of pipe.decl) this.declare(vars, name, t, pipe.isAssign, pipe.pos);
    return t;
  }

  private command(cmd: TemplateCommand, dot: GoType, vars: Var[], final: Final): GoType {
    const [first, ...rest] = cmd.args;
    const hasArgs = rest.length > 0 || final !== NOT_SET;
    for (const a of rest) this.arg(a, dot, vars);
    switch (first.type) {
      case 'field':
        return this.chain(dot, first.chain, hasArgs, first.pos);
      case 'variable':
        return first.chain.length > 0 ? this.chain(this.variable(vars, first), first.chain, hasArgs, first.pos) : this.notAFunction(this.variable(vars, first), hasArgs, first.name, first.pos);
      case 'pipe': {
        const t = this.pipe(first.pipe, dot, vars);
        return first.chain.length > 0 ? this.chain(t, first.chain, hasArgs, first.pos) : this.notAFunction(t, hasArgs, '(pipeline)', first.pos);
      }
      case 'identifier':
        return this.call(first.name, [...rest.map((a) => this.arg(a, dot, vars)), ...(final === NOT_SET ? [] : [final])], first.pos);
      case 'nil':
        throw problem(first.pos, 'nil is not a command');
      default:
        return this.notAFunction(this.arg(first, dot, vars), hasArgs, first.type, first.pos);
    }
  }

  private notAFunction(t: GoType, hasArgs: boolean, what: string, pos: TemplatePos): GoType {
    if (hasArgs) throw problem(pos, `can't give argument to non-function ${what}`);
    return t;
  }

  private variable(vars: Var[], arg: Extract<TemplateArg, { type: 'variable' }>): GoType {
    const v = [...vars].reverse().find((x) => x.name === arg.name);
    if (!v) throw problem(arg.pos, `undefined variable ${JSON.stringify(arg.name)}`);
    return v.type;
  }

  private arg(a: TemplateArg, dot: GoType, vars: Var[]): GoType {
    switch (a.type) {
      case 'dot':
        return dot;
      case 'nil':
        return T_ANY;
      case 'string':
        return T_STRING;
      case 'bool':
        return T_BOOL;
      case 'number':
        return a.value.kind === 'int' ? T_INT : T_FLOAT;
      case 'field':
        return this.chain(dot, a.chain, false, a.pos);
      case 'variable':
        return this.chain(this.variable(vars, a), a.chain, false, a.pos);
      case 'pipe':
        return this.chain(this.pipe(a.pipe, dot, vars), a.chain, false, a.pos);
      case 'identifier':
        return this.call(a.name, [], a.pos);
    }
  }

  private chain(receiver: GoType, chain: readonly string[], lastHasArgs: boolean, pos: TemplatePos): GoType {
    let t = receiver;
    chain.forEach((name, i) => {
      const hasArgs = lastHasArgs && i === chain.length - 1;
      t = this.member(t, name, hasArgs, pos);
    });
    return t;
  }

  private member(t: GoType, name: string, hasArgs: boolean, pos: TemplatePos): GoType {
    if (t.kind === 'any') return T_ANY;
    if (t.kind === 'struct') {
      const m = lookupMember(t, name);
      if (!m) throw problem(pos, REMOVED_FLUX_FIELDS[name] ?? `can't evaluate field ${name} in type ${t.name} (it has ${describeMembers(t)})`);
      if (hasArgs) throw problem(pos, m.kind === 'method' ? `wrong number of args for ${name}: want 0 got 1 or more` : `${name} has arguments but cannot be invoked as function`);
      return m.type;
    }
    if (t.kind === 'map' && t.key.kind === 'string') {
      if (hasArgs) throw problem(pos, `${name} is not a method but has arguments`);
      return t.elem;
    }
    throw problem(pos, `can't evaluate field ${name} in type ${staticTypeName(t)}`);
  }

  private call(name: string, args: readonly GoType[], pos: TemplatePos): GoType {
    const fn = TEMPLATE_FUNCTIONS[name];
    if (!fn) {
      throw problem(pos, UNSUPPORTED_SPRIG_FUNCTIONS.has(name) ? `function ${JSON.stringify(name)} (from Flux's template functions) is not supported by FluxOps` : `function ${JSON.stringify(name)} not defined`);
    }
    if (args.length < fn.min || args.length > fn.max) {
      const want = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
      throw problem(pos, `wrong number of args for ${name}: want ${want} got ${args.length}`);
    }
    return fn.result(args);
  }
}

function describeMembers(t: StructType): string {
  const names: string[] = [];
  const collect = (s: StructType) => {
    for (const f of s.fields) {
      names.push(`.${f.name}`);
      if (f.embedded && f.type.kind === 'struct') collect(f.type);
    }
    names.push(...Object.keys(s.methods).map((m) => `.${m}`));
  };
  collect(t);
  return [...new Set(names)].join(', ');
}
