import { faultMatrix } from './matrix.js';

faultMatrix('restartEmpty');
