import { useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { graphql } from '../gql/index.js';
import type { BacktestCardFragment } from '../gql/graphql.js';
import {
  checkBacktestForm,
  DEFAULT_BARS,
  MAX_BARS,
  MIN_BARS,
  type BacktestFormErrors,
  type BacktestFormValues,
} from './backtest-form-validation.js';
import { errorCode, errorMessage } from './errors.js';
import type { Choices } from './use-choices.js';

const StartBacktest = graphql(`
  mutation StartBacktest($input: StartBacktestInput!) {
    startBacktest(input: $input) {
      ...BacktestCard
    }
  }
`);

/** What to tell the trader when the server refused to start the run. */
function serverProblem(error: CombinedError): string {
  const code = errorCode(error);
  // BAD_USER_INPUT messages name the field: show them as they are.
  if (code === 'BAD_USER_INPUT') return errorMessage(error);
  if (code === 'RATE_LIMITED') {
    const retryAfterMs = error.graphQLErrors[0]?.extensions?.retryAfterMs;
    const seconds = typeof retryAfterMs === 'number' ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : undefined;
    return `Too many backtests started: try again${seconds ? ` in ${seconds} s` : ' shortly'}.`;
  }
  return `Could not start the backtest: ${errorMessage(error)}`;
}

interface ChoiceFieldProps {
  label: string;
  id: string;
  errorId: string;
  inputRef: RefObject<HTMLSelectElement | null>;
  value: string;
  error: string | undefined;
  describedBy: string | undefined;
  options: { value: string; label: string }[];
  /** Shown as the only option while there is nothing to choose from. */
  emptyLabel: string;
  onChange(value: string): void;
}

/** A labelled, required `<select>` with its validation message. */
function ChoiceField({ label, id, errorId, inputRef, value, error, describedBy, options, emptyLabel, onChange }: ChoiceFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        ref={inputRef}
        value={value}
        required
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(event) => onChange(event.target.value)}
      >
        {options.length === 0 && <option value="">{emptyLabel}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export interface BacktestFormProps {
  choices: Choices;
  /** The backtest the server created, to show at the top of the list at once. */
  onStarted(backtest: BacktestCardFragment): void;
}

/** Strategy, symbol and bars (100 to 1,000,000; default 50,000), then `startBacktest`. */
export function BacktestForm({ choices, onStarted }: BacktestFormProps) {
  const ids = { strategy: useId(), symbol: useId(), bars: useId(), barsHint: useId(), heading: useId() };
  const errorIds = { strategyId: useId(), symbol: useId(), bars: useId() };
  const [values, setValues] = useState<BacktestFormValues>({ strategyId: '', symbol: '', bars: String(DEFAULT_BARS) });
  const [errors, setErrors] = useState<BacktestFormErrors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [state, startBacktest] = useMutation(StartBacktest);
  const fields = { strategyId: useRef<HTMLSelectElement>(null), symbol: useRef<HTMLSelectElement>(null), bars: useRef<HTMLInputElement>(null) };

  // Until the trader picks one, the first strategy and symbol are selected.
  const strategyId = values.strategyId || choices.strategies[0]?.id || '';
  const symbol = values.symbol || choices.symbols[0] || '';

  const update = (field: keyof BacktestFormValues, value: string) => {
    setValues((previous) => ({ ...previous, [field]: value }));
    setErrors((previous) => (previous[field] ? { ...previous, [field]: undefined } : previous));
  };

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setProblem(null);
    const check = checkBacktestForm({ strategyId, symbol, bars: values.bars });
    if (!check.ok) {
      setErrors(check.errors);
      const first = (['strategyId', 'symbol', 'bars'] as const).find((field) => check.errors[field]);
      if (first) fields[first].current?.focus();
      return;
    }
    setErrors({});
    const result = await startBacktest({ input: check.input });
    if (result.error) setProblem(serverProblem(result.error));
    else if (result.data) onStarted(result.data.startBacktest);
  }

  const describedBy = (field: keyof BacktestFormValues, hint?: string) =>
    [hint, errors[field] ? errorIds[field] : undefined].filter(Boolean).join(' ') || undefined;

  return (
    <form className="backtest-form" onSubmit={handleSubmit} noValidate aria-labelledby={ids.heading}>
      <h3 id={ids.heading}>New backtest</h3>
      <ChoiceField
        label="Strategy"
        id={ids.strategy}
        errorId={errorIds.strategyId}
        inputRef={fields.strategyId}
        value={strategyId}
        error={errors.strategyId}
        describedBy={describedBy('strategyId')}
        options={choices.strategies.map((strategy) => ({ value: strategy.id, label: strategy.name }))}
        emptyLabel={choices.fetching ? 'Loading…' : 'None available'}
        onChange={(value) => update('strategyId', value)}
      />
      <ChoiceField
        label="Symbol"
        id={ids.symbol}
        errorId={errorIds.symbol}
        inputRef={fields.symbol}
        value={symbol}
        error={errors.symbol}
        describedBy={describedBy('symbol')}
        options={choices.symbols.map((name) => ({ value: name, label: name }))}
        emptyLabel={choices.fetching ? 'Loading…' : 'None available'}
        onChange={(value) => update('symbol', value)}
      />
      <div className="field">
        <label htmlFor={ids.bars}>Bars</label>
        <input
          id={ids.bars}
          ref={fields.bars}
          type="number"
          inputMode="numeric"
          min={MIN_BARS}
          max={MAX_BARS}
          step={1}
          required
          value={values.bars}
          aria-invalid={errors.bars ? true : undefined}
          aria-describedby={describedBy('bars', ids.barsHint)}
          onChange={(event) => update('bars', event.target.value)}
        />
        <p id={ids.barsHint} className="hint">
          {MIN_BARS.toLocaleString()} to {MAX_BARS.toLocaleString()}
        </p>
        {errors.bars && (
          <p id={errorIds.bars} className="field-error">
            {errors.bars}
          </p>
        )}
      </div>
      <div className="form-actions">
        <button type="submit" disabled={state.fetching}>
          Start backtest
        </button>
      </div>
      {problem && (
        <p role="alert" className="form-problem">
          {problem}
        </p>
      )}
    </form>
  );
}
