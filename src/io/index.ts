export { encodeSafetensors, decodeSafetensors, type SafetensorsFile } from './safetensors.js';
export { encodeCheckpoint, decodeCheckpointPart, MODEL_FILE, STATE_FILE, type Checkpoint, type CheckpointPart } from './checkpoint.js';
export { pack, unpack } from './pack.js';
export { exportONNX, type ONNXExportable } from './onnx_export.js';
export { importONNX, type ImportedONNX } from './onnx_import.js';
