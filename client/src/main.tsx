import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import './styles.css';
import './phone-layout.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');

// MessagePack frames: smaller than JSON text for the same messages (the server answers in JSON
// when it does not offer MessagePack).
const sessionOptions = { ws: { encoding: 'msgpack' } } as const;

createRoot(container).render(
  <StrictMode>
    <App sessionOptions={sessionOptions} />
  </StrictMode>,
);
