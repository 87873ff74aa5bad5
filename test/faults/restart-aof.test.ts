import { faultMatrix } from './matrix.js';

faultMatrix('restartAof');
