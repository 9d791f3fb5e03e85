/*
 * The image preprocessing settings, apart from cnn.ts: the command definitions need the defaults at
 * start-up, while cnn.ts (onnx-proto, onnxruntime-node, sharp) is loaded only by the commands that read images.
 */

/** How images become the network's input: resize the shorter side, centre-crop, scale to [0, 1], normalize. */
export interface Preprocess {
  resize: number;
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** torchvision's ImageNet preprocessing, which the ONNX Model Zoo classifiers expect. */
export const IMAGENET_PREPROCESS: Preprocess = { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
