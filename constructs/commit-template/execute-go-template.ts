import { lookupMember } from './check-go-template';
import { CommitTemplateError } from './commit-template-error';
import { ParsedTemplate, TemplateArg, TemplateCommand, TemplateControl, TemplateNode, TemplatePipe, TemplatePos } from './go-template-ast';
import { TEMPLATE_FUNCTIONS, TemplateFunctionError } from './go-template-functions';
import { GoFloat, GoMap, GoSlice, GoStruct, GoValue, NO_VALUE, formatValue, isTrue, typeName } from './go-values';

const NOT_SET = Symbol('no final argument');
type Final = GoValue | typeof NOT_SET;

class BreakSignal {}
class ContinueSignal {}

interface Var {
  readonly name: string;
  value: GoValue;
}

function renderError(pos: TemplatePos, reason: string, cause?: unknown): CommitTemplateError {
  return new CommitTemplateError({ phase: 'render', ...pos, reason, cause });
}

/**
 * Executes a parsed template on `data` as text/template does: pipelines pass their value as the
 * last argument of the next command, `range` visits map keys in sorted order, `if`/`with` use
 * Go's truth, a missing map key prints `<no value>`, and values print like fmt's `%v`.
 * Failures throw {@link CommitTemplateError} (phase `render`) with the position.
 */
export function executeGoTemplate(template: ParsedTemplate, data: GoValue): string {
  const out: string[] = [];
  new Executor(out).walk(template.nodes, data, [{ name: '$', value: data }]);
  return out.join('');
}

class Executor {
  constructor(private readonly out: string[]) {}

  walk(nodes: readonly TemplateNode[], dot: GoValue, vars: Var[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'text':
          this.out.push(node.text);
          break;
        case 'action': {
          const v = this.pipe(node.pipe, dot, vars);
          if (node.pipe.decl.length === 0) this.out.push(formatValue(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = vars.length;
          const v = this.pipe(node.pipe, dot, vars);
          if (isTrue(v)) this.walk(node.list, node.type === 'with' ? v : dot, vars);
          else if (node.elseList) this.walk(node.elseList, dot, vars);
          vars.length = mark;
          break;
        }
        case 'range':
          this.range(node, dot, vars);
          break;
        case 'break':
          throw new BreakSignal();
        case 'continue':
          throw new ContinueSignal();
      }
    }
  }

  private range(node: TemplateControl, dot: GoValue, vars: Var[]): void {
    const mark = vars.length;
    const v = this.pipe({ ...node.pipe, decl: [] }, dot, vars);
    const decl = node.pipe.decl;
    // Variables live for the whole range; each iteration sets them.
    const slots: Var[] = [];
    if (!node.pipe.isAssign) for (const name of decl) vars.push(slots[slots.push({ name, value: null }) - 1]);
    const set = (index: GoValue, elem: GoValue) => {
      const assign = (name: string, value: GoValue) => {
        const target = node.pipe.isAssign ? [...vars].reverse().find((x) => x.name === name) : slots.find((x) => x.name === name);
        if (!target) throw renderError(node.pos, `undefined variable ${JSON.stringify(name)}`);
        target.value = value;
      };
      if (decl.length === 1) assign(decl[0], elem);
      if (decl.length === 2) {
        assign(decl[0], index);
        assign(decl[1], elem);
      }
    };
    let entries: [GoValue, GoValue][];
    if (v instanceof GoSlice) entries = v.items.map((x, i) => [i, x]);
    else if (v instanceof GoMap) entries = v.sorted().map(([k, x]) => [k, x]);
    else if (typeof v === 'number') entries = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v === null || v === NO_VALUE) entries = [];
    else throw renderError(node.pos, `range can't iterate over ${formatValue(v)}`);
    if (entries.length === 0) {
      if (node.elseList) this.walk(node.elseList, dot, vars);
      vars.length = mark;
      return;
    }
    for (const [index, elem] of entries) {
      set(index, elem);
      const inner = vars.length;
      try {
        this.walk(node.list, elem, vars);
      } catch (signal) {
        vars.length = inner;
        if (signal instanceof BreakSignal) break;
        if (signal instanceof ContinueSignal) continue;
        throw signal;
      }
      vars.length = inner;
    }
    vars.length = mark;
  }

  private pipe(pipe: TemplatePipe, dot: GoValue, vars: Var[]): GoValue {
    let final: Final = NOT_SET;
    for (const cmd of pipe.cmds) final = this.command(cmd, dot, vars, final);
    const value = final === NOT_SET ? null : final;
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        const v = [...vars].reverse().find((x) => x.name === name);
        if (!v) throw renderError(pipe.pos, `undefined variable ${JSON.stringify(name)}`);
        v.value = value;
      } else vars.push({ name, value });
    }
    return value;
  }

  private command(cmd: TemplateCommand, dot: GoValue, vars: Var[], final: Final): GoValue {
    const [first, ...rest] = cmd.args;
    const hasArgs = rest.length > 0 || final !== NOT_SET;
    switch (first.type) {
      case 'field':
        return this.chain(dot, first.chain, rest, final, dot, vars, first.pos);
      case 'variable': {
        const v = this.variable(vars, first);
        if (first.chain.length === 0) return this.notAFunction(v, hasArgs, first.name, first.pos);
        return this.chain(v, first.chain, rest, final, dot, vars, first.pos);
      }
      case 'pipe': {
        const v = this.pipe(first.pipe, dot, vars);
        if (first.chain.length === 0) return this.notAFunction(v, hasArgs, '(pipeline)', first.pos);
        return this.chain(v, first.chain, rest, final, dot, vars, first.pos);
      }
      case 'identifier':
        return this.call(first.name, rest, final, dot, vars, first.pos);
      case 'nil':
        throw renderError(first.pos, 'nil is not a command');
      default:
        return this.notAFunction(this.arg(first, dot, vars), hasArgs, first.type, first.pos);
    }
  }

  private notAFunction(v: GoValue, hasArgs: boolean, what: string, pos: TemplatePos): GoValue {
    if (hasArgs) throw renderError(pos, `can't give argument to non-function ${what}`);
    return v;
  }

  private variable(vars: Var[], arg: Extract<TemplateArg, { type: 'variable' }>): GoValue {
    const v = [...vars].reverse().find((x) => x.name === arg.name);
    if (!v) throw renderError(arg.pos, `undefined variable ${JSON.stringify(arg.name)}`);
    return v.value;
  }

  private arg(a: TemplateArg, dot: GoValue, vars: Var[]): GoValue {
    switch (a.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'string':
      case 'bool':
        return a.value;
      case 'number':
        return a.value.kind === 'int' ? a.value.value : new GoFloat(a.value.value);
      case 'field':
        return this.chain(dot, a.chain, [], NOT_SET, dot, vars, a.pos);
      case 'variable':
        return this.chain(this.variable(vars, a), a.chain, [], NOT_SET, dot, vars, a.pos);
      case 'pipe':
        return this.chain(this.pipe(a.pipe, dot, vars), a.chain, [], NOT_SET, dot, vars, a.pos);
      case 'identifier':
        return this.call(a.name, [], NOT_SET, dot, vars, a.pos);
    }
  }

  private chain(receiver: GoValue, chain: readonly string[], args: readonly TemplateArg[], final: Final, dot: GoValue, vars: Var[], pos: TemplatePos): GoValue {
    let v = receiver;
    chain.forEach((name, i) => {
      const last = i === chain.length - 1;
      v = this.member(v, name, last && (args.length > 0 || final !== NOT_SET), pos);
    });
    if (args.length > 0) for (const a of args) this.arg(a, dot, vars);
    return v;
  }

  private member(receiver: GoValue, name: string, hasArgs: boolean, pos: TemplatePos): GoValue {
    if (receiver instanceof GoStruct) {
      const m = lookupMember(receiver.type, name);
      if (m?.kind === 'method') {
        if (hasArgs) throw renderError(pos, `wrong number of args for ${name}: want 0 got 1 or more`);
        return findMethod(receiver, name)();
      }
      if (m?.kind === 'field') {
        if (hasArgs) throw renderError(pos, `${name} has arguments but cannot be invoked as function`);
        return findField(receiver, name);
      }
      throw renderError(pos, `can't evaluate field ${name} in type ${receiver.type.name}`);
    }
    if (receiver instanceof GoMap && receiver.type.key.kind === 'string') {
      if (hasArgs) throw renderError(pos, `${name} is not a method but has arguments`);
      return receiver.get(name) ?? NO_VALUE;
    }
    if (receiver === null || receiver === NO_VALUE) throw renderError(pos, `nil pointer evaluating interface {}.${name}`);
    throw renderError(pos, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private call(name: string, argNodes: readonly TemplateArg[], final: Final, dot: GoValue, vars: Var[], pos: TemplatePos): GoValue {
    const fn = TEMPLATE_FUNCTIONS[name];
    if (!fn) throw renderError(pos, `function ${JSON.stringify(name)} not defined`);
    const count = argNodes.length + (final === NOT_SET ? 0 : 1);
    if (count < fn.min || count > fn.max) {
      const want = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
      throw renderError(pos, `wrong number of args for ${name}: want ${want} got ${count}`);
    }
    try {
      if (fn.lazy && fn.lazyCall) {
        const thunks = argNodes.map((a) => () => this.arg(a, dot, vars));
        if (final !== NOT_SET) thunks.push(() => final);
        return fn.lazyCall(thunks);
      }
      const args = argNodes.map((a) => this.arg(a, dot, vars));
      if (final !== NOT_SET) args.push(final);
      const result = fn.call(args);
      // A nil interface{} result is an invalid value to text/template: it prints "<no value>".
      return result === null && fn.interfaceResult ? NO_VALUE : result;
    } catch (err) {
      if (err instanceof TemplateFunctionError) throw renderError(pos, err.message.startsWith('error calling') ? err.message : `error calling ${name}: ${err.message}`, err);
      throw err;
    }
  }
}

function findField(s: GoStruct, name: string): GoValue {
  if (name in s.fields && s.type.fields.some((f) => f.name === name)) return s.fields[name];
  for (const f of s.type.fields) {
    const inner = s.fields[f.name];
    if (f.embedded && inner instanceof GoStruct && lookupMember(inner.type, name)?.kind === 'field') return findField(inner, name);
  }
  return NO_VALUE;
}

function findMethod(s: GoStruct, name: string): () => GoValue {
  if (s.methods[name]) return s.methods[name];
  for (const f of s.type.fields) {
    const inner = s.fields[f.name];
    if (f.embedded && inner instanceof GoStruct && lookupMember(inner.type, name)?.kind === 'method') return findMethod(inner, name);
  }
  return () => NO_VALUE;
}
