// Tiny ONNX models with the real MDX-Net interface, written here so that no test needs weights: UVR feeds
// `{'input': spek}` of shape [batch, 4, dim_f, dim_t] and reads the first output, same shape.
import { writeFile } from 'node:fs/promises';
import onnxProto, { type onnx } from 'onnx-proto';

// onnx-proto is CommonJS: its namespace arrives as the default export.
const proto = onnxProto.onnx;

// A stand-in GPU execution provider for tests on a machine without one (see gpu-sim.ts).
export { GPU_SIM, gpuSimSessions } from './gpu-sim.ts';
export type { GpuSimStats } from './gpu-sim.ts';

export interface GraphShape {
  dimF: number;
  dimT: number;
  /** A fixed batch size, or a symbolic one (UVR's exported models use a named batch dimension). */
  batch?: number | 'batch_size';
}

type Node = onnx.INodeProto;

const FLOAT = proto.TensorProto.DataType.FLOAT;
const INT64 = proto.TensorProto.DataType.INT64;

function valueInfo(
  name: string,
  shape: GraphShape,
  dims?: (number | string)[],
  elemType: number = FLOAT,
): onnx.IValueInfoProto {
  const all = dims ?? [shape.batch ?? 'batch_size', 4, shape.dimF, shape.dimT];
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: all.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function modelBytes(
  shape: GraphShape,
  nodes: Node[],
  initializer: onnx.ITensorProto[] = [],
  inputDims?: (number | string)[],
  types: { input: number; output: number } = { input: FLOAT, output: FLOAT },
): Uint8Array {
  const model = proto.ModelProto.create({
    irVersion: 8,
    producerName: 'imk-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mdx-test',
      node: nodes,
      initializer,
      input: [valueInfo('input', shape, inputDims, types.input)],
      output: [valueInfo('output', shape, inputDims, types.output)],
    },
  });
  return proto.ModelProto.encode(model).finish();
}

/** output = input. */
export const identityGraph = (shape: GraphShape) =>
  modelBytes(shape, [{ opType: 'Identity', input: ['input'], output: ['output'] }]);

/** output = gain × input. */
export const gainGraph = (shape: GraphShape, gain: number) =>
  modelBytes(
    shape,
    [{ opType: 'Mul', input: ['input', 'gain'], output: ['output'] }],
    [{ name: 'gain', dataType: FLOAT, dims: [], floatData: [gain] }],
  );

/**
 * output = gain × input, its gain kept in an external data file (`location`, beside the model), as ONNX
 * saves a model over 2 GB: the .onnx bytes and the data file's.
 */
export function externalGainGraph(
  shape: GraphShape,
  gain: number,
  location: string,
): { model: Uint8Array; data: Buffer } {
  const data = Buffer.alloc(4);
  data.writeFloatLE(gain, 0);
  const model = modelBytes(
    shape,
    [{ opType: 'Mul', input: ['input', 'gain'], output: ['output'] }],
    [
      {
        name: 'gain',
        dataType: FLOAT,
        dims: [],
        dataLocation: proto.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: location },
          { key: 'offset', value: '0' },
          { key: 'length', value: String(data.length) },
        ],
      },
    ],
  );
  return { model, data };
}

/** Left and right swapped: channels (L re, L im, R re, R im) → (R re, R im, L re, L im). */
export const swapGraph = (shape: GraphShape) =>
  modelBytes(
    shape,
    [
      {
        opType: 'Gather',
        input: ['input', 'order'],
        output: ['output'],
        attribute: [{ name: 'axis', type: proto.AttributeProto.AttributeType.INT, i: 1 }],
      },
    ],
    [{ name: 'order', dataType: INT64, dims: [4], int64Data: [2, 3, 0, 1] }],
  );

/** Bins from `n` up set to zero (a constant mask over dim_f). */
export const lowPassGraph = (shape: GraphShape, n: number) =>
  modelBytes(
    shape,
    [{ opType: 'Mul', input: ['input', 'mask'], output: ['output'] }],
    [
      {
        name: 'mask',
        dataType: FLOAT,
        dims: [1, 1, shape.dimF, 1],
        floatData: Array.from({ length: shape.dimF }, (_, f) => (f < n ? 1 : 0)),
      },
    ],
  );

/**
 * output = input, after `rounds` products of [dim_f × dim_f] matrices made from it (their mean, times 0, is
 * added): a model whose every run takes a while, as a real one's does on a slow CPU.
 */
export function slowGraph(shape: GraphShape, rounds: number): Uint8Array {
  const ints = proto.AttributeProto.AttributeType.INTS;
  const nodes: Node[] = [
    {
      opType: 'Transpose',
      input: ['input'],
      output: ['t'],
      attribute: [{ name: 'perm', type: ints, ints: [0, 1, 3, 2] }],
    },
    { opType: 'MatMul', input: ['input', 't'], output: ['g'] },
    { opType: 'Mul', input: ['g', 'small'], output: ['gs'] },
    { opType: 'Tanh', input: ['gs'], output: ['y0'] },
  ];
  for (let r = 0; r < rounds; r++)
    nodes.push(
      { opType: 'MatMul', input: [`y${r}`, `y${r}`], output: [`p${r}`] },
      { opType: 'Mul', input: [`p${r}`, 'small'], output: [`q${r}`] },
      { opType: 'Tanh', input: [`q${r}`], output: [`y${r + 1}`] },
    );
  nodes.push(
    {
      opType: 'ReduceMean',
      input: [`y${rounds}`],
      output: ['mean'],
      attribute: [{ name: 'axes', type: ints, ints: [2, 3] }],
    },
    { opType: 'Mul', input: ['mean', 'zero'], output: ['none'] },
    { opType: 'Add', input: ['input', 'none'], output: ['output'] },
  );
  return modelBytes(shape, nodes, [
    { name: 'small', dataType: FLOAT, dims: [], floatData: [1e-3] },
    { name: 'zero', dataType: FLOAT, dims: [], floatData: [0] },
  ]);
}

const FLOAT16 = proto.TensorProto.DataType.FLOAT16;

/**
 * A model converted to float16: an identity on float16 tensors ('both'), or float32 in and float16 out
 * ('output', a Cast), as a half-precision conversion of a UVR model takes or returns.
 */
export const float16Graph = (shape: GraphShape, which: 'both' | 'output') =>
  which === 'both'
    ? modelBytes(shape, [{ opType: 'Identity', input: ['input'], output: ['output'] }], [], undefined, {
        input: FLOAT16,
        output: FLOAT16,
      })
    : modelBytes(
        shape,
        [
          {
            opType: 'Cast',
            input: ['input'],
            output: ['output'],
            attribute: [{ name: 'to', type: proto.AttributeProto.AttributeType.INT, i: FLOAT16 }],
          },
        ],
        [],
        undefined,
        { input: FLOAT, output: FLOAT16 },
      );

/**
 * A model that opens, declares the MDX-Net shape, and fails when run: a Reshape to rows of `rows` values, as
 * a model with symbolic dimensions fails on a dim_f / dim_t it was not made for.
 */
export const failsWhenRunGraph = (shape: GraphShape, rows = 7) =>
  modelBytes(
    shape,
    [{ opType: 'Reshape', input: ['input', 'rows'], output: ['output'] }],
    [{ name: 'rows', dataType: INT64, dims: [2], int64Data: [rows, -1] }],
  );

/** An identity whose declared input shape is `dims` (for the shape-mismatch error). */
export const identityWithDims = (shape: GraphShape, dims: (number | string)[]) =>
  modelBytes(shape, [{ opType: 'Identity', input: ['input'], output: ['output'] }], [], dims);

/** Writes a model and, when given, its UVR model-data `<model>.json` beside it. */
export async function writeModel(
  path: string,
  bytes: Uint8Array,
  data?: { nFft: number; dimF: number; dimT: number; compensate?: number; primaryStem?: string },
): Promise<string> {
  await writeFile(path, bytes);
  if (data !== undefined)
    await writeFile(
      path.replace(/\.onnx$/, '.json'),
      JSON.stringify({
        compensate: data.compensate ?? 1,
        mdx_dim_f_set: data.dimF,
        mdx_dim_t_set: Math.log2(data.dimT),
        mdx_n_fft_scale_set: data.nFft,
        primary_stem: data.primaryStem ?? 'Instrumental',
      }),
    );
  return path;
}
