import { faultMatrix } from './matrix.js';

faultMatrix('sigstop');
