import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * How large a document may be before it is refused in validation, before any resolver runs (the
 * `MAX_QUERY_*` knobs of `config.ts`). Each violation is one `QUERY_TOO_COMPLEX` error naming the
 * limit and the measured value.
 */
export interface QueryLimits {
  /**
   * Deepest field nesting allowed (the operation's top-level fields are depth 1; fragments are
   * followed). Operations made only of introspection fields are exempt (bounded by `maxQueryFields`).
   */
  maxQueryDepth: number;
  /** Most aliases allowed in one document. */
  maxQueryAliases: number;
  /** Most field selections allowed, counting each field once per place it is reached through fragments (a simple complexity measure). */
  maxQueryFields: number;
}

/** The `extensions.code` of every limit violation. */
const CODE = 'QUERY_TOO_COMPLEX';

/** Depth and field count of a selection set with its fragments expanded. */
interface Measure {
  readonly depth: number;
  readonly fields: number;
}

const EMPTY: Measure = { depth: 0, fields: 0 };

/** A selection set being measured on the explicit stack. */
interface Frame {
  readonly selections: readonly SelectionNode[];
  next: number;
  depth: number;
  fields: number;
  /** A field's sub-selection adds a level and the field itself; a fragment's body adds neither. */
  readonly underField: boolean;
  /** The fragment whose body this is, memoized when done. */
  readonly fragment: string | undefined;
}

function frame(selections: readonly SelectionNode[], underField: boolean, fragment?: string): Frame {
  return { selections, next: 0, depth: 0, fields: 0, underField, fragment };
}

// Fragment bombs multiply counts; saturating keeps the arithmetic exact and the message readable.
function addInto(parent: Frame, child: Measure, underField: boolean): void {
  const level = underField ? 1 : 0;
  parent.depth = Math.max(parent.depth, child.depth + level);
  parent.fields = Math.min(parent.fields + child.fields + level, Number.MAX_SAFE_INTEGER);
}

type FragmentLookup = (name: string) => FragmentDefinitionNode | null | undefined;

/**
 * Measures one operation with an explicit stack rather than recursion, so a 10,000-deep document
 * cannot exhaust the call stack. Fragment bodies are measured once (`memo`), keeping the walk
 * linear in document size however often a fragment is spread.
 */
function measureOperation(operation: OperationDefinitionNode, getFragment: FragmentLookup, memo: Map<string, Measure>): Measure {
  const open = new Set<string>();
  const stack: Frame[] = [frame(operation.selectionSet.selections, false)];
  for (;;) {
    const top = stack[stack.length - 1];
    if (top === undefined) return EMPTY;
    const selection = top.selections[top.next];
    top.next += 1;
    if (selection === undefined) {
      stack.pop();
      const measure: Measure = { depth: top.depth, fields: top.fields };
      if (top.fragment !== undefined) {
        memo.set(top.fragment, measure);
        open.delete(top.fragment);
      }
      const parent = stack[stack.length - 1];
      if (parent === undefined) return measure;
      addInto(parent, measure, top.underField);
    } else if (selection.kind === Kind.FIELD) {
      if (selection.selectionSet === undefined) addInto(top, EMPTY, true);
      else stack.push(frame(selection.selectionSet.selections, true));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      stack.push(frame(selection.selectionSet.selections, false));
    } else {
      const name = selection.name.value;
      const known = memo.get(name);
      if (known !== undefined) {
        addInto(top, known, false);
        continue;
      }
      // A fragment already open on the stack is a cycle (NoFragmentCyclesRule reports it) and an
      // unknown one is KnownFragmentNamesRule's; both count as empty so the walk always ends.
      const definition = open.has(name) ? undefined : getFragment(name);
      if (definition) {
        open.add(name);
        stack.push(frame(definition.selectionSet.selections, false, name));
      }
    }
  }
}

/** The deepest operation of a document and its largest field count, each with its operation. */
interface DocumentMeasure {
  readonly depth: number;
  readonly deepest: OperationDefinitionNode | undefined;
  readonly fields: number;
  readonly widest: OperationDefinitionNode | undefined;
}

// validate() calls every rule with the same document, so the depth and field rules share one walk.
const measured = new WeakMap<DocumentNode, DocumentMeasure>();

function measureDocument(context: ValidationContext): DocumentMeasure {
  const document = context.getDocument();
  const cached = measured.get(document);
  if (cached !== undefined) return cached;
  const memo = new Map<string, Measure>();
  const getFragment: FragmentLookup = (name) => context.getFragment(name);
  let result: DocumentMeasure = { depth: 0, deepest: undefined, fields: 0, widest: undefined };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const { depth, fields } = measureOperation(definition, getFragment, memo);
    // Only one operation runs per request, so each is held to the limits and the worst reported.
    // Introspection (GraphiQL's docs) is deep by nature; its size is still bounded by the field count.
    if (depth > result.depth && !isIntrospectionOnly(definition)) result = { ...result, depth, deepest: definition };
    if (fields > result.fields) result = { ...result, fields, widest: definition };
  }
  measured.set(document, result);
  return result;
}

/** An operation whose top-level selections are all `__schema`/`__type` fields. */
function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && (selection.name.value === '__schema' || selection.name.value === '__type'),
  );
}

function tooComplex(what: string, value: number, limit: number, node: ASTNode | undefined): GraphQLError {
  return new GraphQLError(`Query ${what} ${value} exceeds the limit of ${limit}`, {
    ...(node === undefined ? {} : { nodes: node }),
    extensions: { code: CODE },
  });
}

function checkLimit(name: keyof QueryLimits, value: number): number {
  // NaN would compare false against every measure and silently switch the limit off.
  if (Number.isNaN(value) || value < 0) throw new RangeError(`Query limit ${name} must be a number >= 0, got ${value}`);
  return value;
}

/**
 * graphql-js validation rules enforcing the limits; each violation is a GraphQLError with
 * extensions.code 'QUERY_TOO_COMPLEX' and a message naming the limit and the measured value
 * (e.g. "Query depth 14 exceeds the limit of 10"). Each rule reports at most once per document.
 *
 * Kept rather than GraphQL Armor 3.2's plugins (measured for issue 15): Armor's max-tokens parser
 * overflows the stack on a list nested 2,000 deep, well within the default 5,000-token budget
 * (`checkNesting` refuses it); its depth, alias and cost rules recurse, so a 5,000-deep AST overflows
 * them; its errors carry no `extensions.code` and are thrown out of `validate()` unless every plugin
 * gets `onReject` and `propagateOnRejection: false`; its cost is a weighted score, not the field count
 * of MAX_QUERY_FIELDS (it let 30 spreads of a 45-field fragment through); and it is no cheaper (the
 * dashboard's BacktestList validates in 229 µs with these rules, 247 µs with Armor's).
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const maxDepth = checkLimit('maxQueryDepth', limits.maxQueryDepth);
  const maxAliases = checkLimit('maxQueryAliases', limits.maxQueryAliases);
  const maxFields = checkLimit('maxQueryFields', limits.maxQueryFields);

  const depthRule: ValidationRule = (context): ASTVisitor => ({
    Document() {
      const { depth, deepest } = measureDocument(context);
      if (depth > maxDepth) context.reportError(tooComplex('depth', depth, maxDepth, deepest));
    },
  });

  const fieldRule: ValidationRule = (context): ASTVisitor => ({
    Document() {
      const { fields, widest } = measureDocument(context);
      if (fields > maxFields) context.reportError(tooComplex('field count', fields, maxFields, widest));
    },
  });

  // Aliases are counted as written: repetition through fragments is what the field count measures.
  const aliasRule: ValidationRule = (context): ASTVisitor => {
    let aliases = 0;
    let firstOver: ASTNode | undefined;
    return {
      Field(node) {
        if (node.alias === undefined) return;
        aliases += 1;
        if (aliases === maxAliases + 1) firstOver = node;
      },
      Document: {
        leave() {
          if (aliases > maxAliases) context.reportError(tooComplex('alias count', aliases, maxAliases, firstOver));
        },
      },
    };
  };

  return [depthRule, aliasRule, fieldRule];
}

/**
 * How deep `{`, `[` and `(` may nest in a document's text, derived from the depth limit with room
 * for what the depth rule does not count. On any path, a document within `maxDepth` opens at most
 * `maxDepth` selection sets of fields; each level gets room for two type conditions around them
 * (`... on Node { ... on Trade {`), and 10 more go to the deepest field's arguments (a parenthesis,
 * then input objects and lists: 3 levels at most in this schema) and to introspection, which the
 * depth rule exempts (graphql-js's introspection query nests 10 deep). So a document the depth rule
 * accepts is refused here only if it stacks more than two type conditions per level, or nests a
 * value deeper than any input type (which validation refuses anyway). At MAX_QUERY_DEPTH's largest
 * value (100) the bound is 310, far below the ~1,500 levels at which graphql-js's recursive parser
 * exhausts the stack.
 */
export function maxNesting(maxDepth: number): number {
  return 3 * checkLimit('maxQueryDepth', maxDepth) + 10;
}

const OPENING = new Set<TokenKind>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<TokenKind>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Refuses a document nested deeper than `limit` with `QUERY_TOO_COMPLEX`, reading its tokens with
 * graphql's Lexer (a loop, not a recursion) before the recursive parser runs. It reads no more than
 * the parser's own budget of `maxTokens`: a longer document is the parser's to refuse, and a lexical
 * error is the syntax error the parser would throw too.
 */
export function checkNesting(text: string, limit: number, maxTokens: number): void {
  const source = new Source(text);
  const lexer = new Lexer(source);
  let depth = 0;
  for (let read = 0, token = lexer.advance(); token.kind !== TokenKind.EOF && read < maxTokens; read += 1, token = lexer.advance()) {
    if (CLOSING.has(token.kind)) {
      depth -= 1;
    } else if (OPENING.has(token.kind)) {
      depth += 1;
      if (depth > limit) {
        throw new GraphQLError(`Query nesting exceeds the limit of ${limit} (braces, brackets and parentheses open at once)`, {
          source,
          positions: [token.start],
          extensions: { code: CODE },
        });
      }
    }
  }
}
