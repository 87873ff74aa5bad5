import { faultMatrix } from './matrix.js';

faultMatrix('failover');
