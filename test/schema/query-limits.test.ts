import {
  buildSchema,
  Kind,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLError,
  type SelectionSetNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { queryLimitRules, type QueryLimits } from '../../src/schema/query-limits.js';
import { testConfig } from '../support/test-config.js';

const scalars = Array.from({ length: 50 }, (_, i) => `f${i}: Int`).join(' ');
const schema = buildSchema(`
  type Query { a: A, other: A }
  type A { b: A, n: Int, ${scalars} }
`);

const SMALL: QueryLimits = { maxQueryDepth: 3, maxQueryAliases: 2, maxQueryFields: 10 };
/** The limits of `config.ts` when no `MAX_QUERY_*` variable is set. */
const DEFAULT_LIMITS: QueryLimits = testConfig().limits;

/** Validates with every standard rule plus the limits, as the server does. */
function validateAll(document: DocumentNode, limits: QueryLimits = SMALL): readonly GraphQLError[] {
  return validate(schema, document, [...specifiedRules, ...queryLimitRules(limits)]);
}

/** Validates with the limit rules alone, so every error must be one of theirs. */
function limitMessages(source: string, limits: QueryLimits = SMALL): string[] {
  const errors = validate(schema, parse(source), queryLimitRules(limits));
  for (const error of errors) expect(error.extensions['code']).toBe('QUERY_TOO_COMPLEX');
  return errors.map((error) => error.message);
}

function field(name: string, selectionSet?: SelectionSetNode): FieldNode {
  return { kind: Kind.FIELD, name: { kind: Kind.NAME, value: name }, ...(selectionSet ? { selectionSet } : {}) };
}

/**
 * `{ a { b { b … { n } } } }` with `levels` b's, built without the parser: graphql's recursive
 * parser itself overflows the stack near this depth, and the rules must survive any AST it may give.
 */
function nestedDocument(levels: number): DocumentNode {
  let inner: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [field('n')] };
  for (let i = 0; i < levels; i += 1) inner = { kind: Kind.SELECTION_SET, selections: [field('b', inner)] };
  return {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field('a', inner)] },
      },
    ],
  };
}

function nestedSource(levels: number): string {
  return `{ a ${'{ b '.repeat(levels)}{ n }${' }'.repeat(levels)} }`;
}

describe('query limits', () => {
  it('defaults to depth 10, 30 aliases and 1000 fields', () => {
    expect(DEFAULT_LIMITS).toMatchObject({ maxQueryDepth: 10, maxQueryAliases: 30, maxQueryFields: 1000 });
  });

  it('passes documents within the limits, including ones exactly at each limit', () => {
    const document = parse(`
      query Q { a { ...F x: b { n } } y: other { __typename } }
      fragment F on A { b { ... on A { n } } }
    `);
    // depth 3 (a b n), 2 aliases, 7 fields
    expect(validateAll(document)).toEqual([]);
    expect(validateAll(document, DEFAULT_LIMITS)).toEqual([]);
    expect(limitMessages(`{ a { ${Array.from({ length: 9 }, (_, i) => `f${i}`).join(' ')} } }`)).toEqual([]);
  });

  it('catches depth through plain nesting, named fragments and inline fragments', () => {
    expect(limitMessages('{ a { b { b { n } } } }')).toEqual(['Query depth 4 exceeds the limit of 3']);
    expect(limitMessages('{ a { ...F } } fragment F on A { b { ...G } } fragment G on A { b { n } }')).toEqual([
      'Query depth 4 exceeds the limit of 3',
    ]);
    expect(limitMessages('{ a { ... on A { b { ... { b { n } } } } } }')).toEqual(['Query depth 4 exceeds the limit of 3']);
  });

  it('exempts introspection-only operations from the depth limit (GraphiQL docs), not from the field count', () => {
    expect(limitMessages('{ __schema { types { fields { type { name } } } } }')).toEqual([]);
    expect(limitMessages('{ a { n } __schema { types { fields { type { name } } } } }')).toEqual(['Query depth 5 exceeds the limit of 3']);
    expect(limitMessages(`{ __schema { types { ${'name '.repeat(12)}} } }`)).toEqual(['Query field count 14 exceeds the limit of 10']);
  });

  it('counts aliases as written, wherever they are', () => {
    expect(limitMessages('{ x: a { n } y: a { n } }')).toEqual([]);
    expect(limitMessages('{ x: a { n } y: a { ...F } } fragment F on A { z: n }')).toEqual([
      'Query alias count 3 exceeds the limit of 2',
    ]);
  });

  it('counts __typename and every field once per place a fragment is spread', () => {
    expect(limitMessages(`{ a { ${'__typename '.repeat(10)}} }`)).toEqual(['Query field count 11 exceeds the limit of 10']);
    const fifty = Array.from({ length: 50 }, (_, i) => `f${i}`).join(' ');
    const source = `{ a { ${'...F '.repeat(30)}} } fragment F on A { ${fifty} }`;
    expect(limitMessages(source, DEFAULT_LIMITS)).toEqual(['Query field count 1501 exceeds the limit of 1000']);
    expect(validateAll(parse(source), DEFAULT_LIMITS).map((error) => error.message)).toEqual([
      'Query field count 1501 exceeds the limit of 1000',
    ]);
  });

  it('measures a doubling chain of fragments quickly and without overflow', () => {
    const chain = Array.from({ length: 80 }, (_, i) => `fragment F${i + 1} on A { ...F${i} ...F${i} }`).join('\n');
    const source = `{ a { ...F80 } } fragment F0 on A { n } ${chain}`;
    const started = performance.now();
    const [message] = limitMessages(source, DEFAULT_LIMITS);
    expect(performance.now() - started).toBeLessThan(1000);
    // 2^80 + 1 fields saturate at the largest exact integer instead of becoming imprecise.
    expect(message).toBe(`Query field count ${Number.MAX_SAFE_INTEGER} exceeds the limit of 1000`);
  });

  it('reports at most one error per limit for the worst of several operations', () => {
    const source = `
      query One { x: a { b { b { n } } } }
      query Two { y: a { b { b { b { n } } } } z: other { n } }
    `;
    const errors = validate(schema, parse(source), queryLimitRules(SMALL));
    expect(errors.map((error) => error.message)).toEqual([
      'Query depth 5 exceeds the limit of 3',
      'Query alias count 3 exceeds the limit of 2',
    ]);
    // Located at the operation that exceeded it.
    expect(errors[0]?.locations?.[0]?.line).toBe(3);
  });

  it('ends on fragment cycles and leaves reporting them to graphql', () => {
    const source = `
      { a { ...X } }
      fragment X on A { b { ...Y } }
      fragment Y on A { b { ...X ...Self } }
      fragment Self on A { n ...Self }
    `;
    expect(limitMessages(source, DEFAULT_LIMITS)).toEqual([]);
    const messages = validateAll(parse(source), DEFAULT_LIMITS).map((error) => error.message);
    expect(messages.some((message) => message.includes('Cannot spread fragment "X" within itself'))).toBe(true);
    expect(messages.some((message) => message.includes('Cannot spread fragment "Self" within itself'))).toBe(true);
  });

  it('reports a 5,000-level document instead of overflowing the stack', () => {
    // The string form never reaches validate: parse with a token budget refuses it first.
    expect(() => parse(nestedSource(5000), { maxTokens: 2000 })).toThrow(/Syntax Error: Document contains more th.. 2000 tokens/);
    const errors = validateAll(nestedDocument(5000), DEFAULT_LIMITS);
    expect(errors.map((error) => error.message)).toEqual([
      'Query depth 5002 exceeds the limit of 10',
      'Query field count 5002 exceeds the limit of 1000',
    ]);
    const deeper = validate(schema, nestedDocument(10_000), queryLimitRules(DEFAULT_LIMITS));
    expect(deeper.map((error) => error.message)).toEqual([
      'Query depth 10002 exceeds the limit of 10',
      'Query field count 10002 exceeds the limit of 1000',
    ]);
  });

  it('refuses a limit that would silently switch the check off', () => {
    expect(() => queryLimitRules({ ...DEFAULT_LIMITS, maxQueryDepth: Number.NaN })).toThrow(RangeError);
    expect(() => queryLimitRules({ ...DEFAULT_LIMITS, maxQueryFields: -1 })).toThrow(/maxQueryFields/);
  });
});
