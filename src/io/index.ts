export { encodeSafetensors, decodeSafetensors, type SafetensorsFile } from './safetensors.js';
