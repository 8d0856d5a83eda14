// A model file that is not ONNX at all, told by its first bytes: UVR keeps its other architectures' models beside
// the MDX-Net .onnx files, as PyTorch files (MDX23C and Roformer `.ckpt`, VR `.pth`), and those are the files a
// user with UVR installed is most likely to try. They were "not a known model: write <model>.ckpt.json with its
// keys", and with a .json written, "a corrupt or truncated file": neither says the engine cannot run them.
import { ImkError } from '@imk/errors';
import '../errors.ts';

/** Bytes of a model file's start that foreignModelProblem reads. */
export const MODEL_HEAD_BYTES = 16;

/**
 * What a model file whose first bytes are `head` is, when it is surely not ONNX, or undefined. An ONNX file is a
 * protobuf ModelProto, which starts with field 1 (ir_version, byte 0x08) in practice; the headers below would be
 * fields ModelProto does not have.
 */
function foreignKind(head: Buffer): string | undefined {
  // torch.save's format since PyTorch 1.6 (and Lightning's .ckpt): a zip archive.
  if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')))
    return 'a PyTorch file (a zip archive)';
  // torch.save's older format, and plain pickles: pickle protocol 2 to 5.
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5)
    return 'a PyTorch file (a pickle)';
  // safetensors: an 8-byte little-endian header length (under 4 GB: its high bytes zero), then the JSON header.
  if (head.length > 9 && head.readUInt32LE(4) === 0 && head[8] === 0x7b && head[9] === 0x22)
    return 'a safetensors file';
  return undefined;
}

/**
 * ImkError MODEL_UNSUPPORTED when the model file (its first bytes `head`) is a PyTorch or safetensors file: UVR's
 * MDX23C, Roformer and VR models, which the mdx engine cannot run; said before its parameters are looked for.
 */
export function assertNotForeignModel(file: string, head: Buffer, hash: string): void {
  const kind = foreignKind(head);
  if (kind === undefined) return;
  throw new ImkError(
    'MODEL_UNSUPPORTED',
    `MDX model ${file} is ${kind}, not an ONNX model: UVR's MDX23C and Roformer (.ckpt) and VR (.pth) models are of other architectures, which the mdx engine cannot run; it runs UVR's MDX-Net .onnx models (in UVR's models/MDX_Net_Models folder, such as UVR-MDX-NET-Inst_HQ_3.onnx or Kim_Vocal_2.onnx)`,
    { details: { file, hash } },
  );
}
