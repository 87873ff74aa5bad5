import { getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { mutationCost } from '../../src/transport/mutation-rate-limit.js';

/** What a mutation document counts against its rate: one per root field, a batch one per input. */
function cost(source: string, variables: Record<string, unknown> = {}, batchMax = 1000): number {
  const document = parse(source);
  return mutationCost(document, getOperationAST(document)!.selectionSet, variables, batchMax);
}

const inputs = (count: number) => Array.from({ length: count }, (_, i) => ({ symbol: 'A', price: i + 1 }));

describe('mutationCost', () => {
  it('counts a batch by its inputs: a variable list, a list literal, a single value coerced to a list of one', () => {
    expect(cost('mutation ($i: [PriceInput!]!) { publishPrices(inputs: $i) { published } }', { i: inputs(30) })).toBe(30);
    expect(cost('mutation { publishSignals(inputs: [{ strategyId: "x" }, { strategyId: "y" }]) { published } }')).toBe(2);
    expect(cost('mutation ($i: [PriceInput!]!) { publishPrices(inputs: $i) { published } }', { i: inputs(1)[0] })).toBe(1);
    expect(cost('mutation { publishPrices(inputs: { symbol: "A", price: 1 }) { published } }')).toBe(1);
  });

  it('counts every root field, through aliases and fragments, and at least one', () => {
    const source = `mutation ($i: [PriceInput!]!) {
      a: publishPrices(inputs: $i) { published }
      b: publishPrice(input: { symbol: "A", price: 1 }) { cursor }
      ... on Mutation { c: publishPrices(inputs: $i) { published } }
      ...more
    }
    fragment more on Mutation { d: publishSignals(inputs: []) { published } e: cancelBacktest(id: "x") { id } }`;
    expect(cost(source, { i: inputs(10) })).toBe(10 + 1 + 10 + 0 + 1);
    expect(cost('mutation { publishPrices(inputs: []) { published } }')).toBe(1);
  });

  it('counts a batch over the bound as one: its resolver refuses it whole, publishing nothing', () => {
    expect(cost('mutation ($i: [PriceInput!]!) { publishPrices(inputs: $i) { published } }', { i: inputs(51) }, 50)).toBe(1);
  });
});
