import { faultMatrix } from './matrix.js';

faultMatrix('sigkill');
