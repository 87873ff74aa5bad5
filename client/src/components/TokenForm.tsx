import { useId, useState, type FormEvent } from 'react';
import { normalizeToken } from '@titan-realtime/client';

export interface TokenFormProps {
  /** Called with the trimmed token the user entered. */
  onSubmit(token: string): void;
  /** Why we are asking (e.g. the server refused the previous token). */
  notice?: string;
}

/** Asks for an access token: one password-type field and a submit button. */
export function TokenForm({ onSubmit, notice }: TokenFormProps) {
  const [value, setValue] = useState('');
  const inputId = useId();
  const hintId = useId();
  const headingId = useId();

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const token = normalizeToken(value);
    if (token) onSubmit(token);
  }

  return (
    <form className="token-form" onSubmit={handleSubmit} aria-labelledby={headingId}>
      <h2 id={headingId}>Sign in</h2>
      {notice && <p role="alert">{notice}</p>}
      <label htmlFor={inputId}>Access token</label>
      <input
        id={inputId}
        name="token"
        type="password"
        autoComplete="off"
        spellCheck={false}
        required
        aria-describedby={hintId}
        value={value}
        onChange={(event) => setValue(event.target.value)}
      />
      <p id={hintId} className="hint">
        A TITAN JWT. It is kept in this tab only and forgotten when the tab closes.
      </p>
      <button type="submit">Connect</button>
    </form>
  );
}
