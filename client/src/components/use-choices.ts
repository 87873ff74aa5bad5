import { useMemo } from 'react';
import { useQuery, type CombinedError } from 'urql';
import { graphql } from '../gql/index.js';
import type { DashboardChoicesQuery } from '../gql/graphql.js';

/** What the filters and the backtest form offer; both use this one query (urql shares it). */
const DashboardChoices = graphql(`
  query DashboardChoices {
    strategies {
      id
      name
      description
    }
    symbols
  }
`);

export type StrategyChoice = DashboardChoicesQuery['strategies'][number];

export interface Choices {
  strategies: readonly StrategyChoice[];
  /** Sorted. */
  symbols: readonly string[];
  /** The strategy's name, or its id when it is not (or not yet) known. */
  strategyName(id: string): string;
  fetching: boolean;
  error?: CombinedError;
}

/** Strategies (from `strategies`) and symbols (from `symbols`). */
export function useChoices(): Choices {
  const [result] = useQuery({ query: DashboardChoices });
  const { data, fetching, error } = result;
  return useMemo(() => {
    const strategies = data?.strategies ?? [];
    const names = new Map(strategies.map((strategy) => [strategy.id, strategy.name]));
    return {
      strategies,
      symbols: [...(data?.symbols ?? [])].sort(),
      strategyName: (id: string) => names.get(id) ?? id,
      fetching,
      error,
    };
  }, [data, fetching, error]);
}
