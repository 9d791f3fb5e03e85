// PyTorch parity on the plain-TypeScript reference backend (the default of a fresh process).
import './parity_suite.js';
