// A stand-in for a GPU execution provider, for tests on a machine without one: sessions made through the
// mdx engine's injectable session factory. "gpu-sim" runs on ONNX Runtime's CPU provider and fails its runs,
// from run number `failFrom` on, with the message CUDA gives when the GPU is out of memory; every other
// provider is ONNX Runtime's own. Sessions made and released are counted. Named as what it is: a test's.
import type { InferenceSession } from 'onnxruntime-node';
import { ORT_SESSIONS, type MdxSessionFactory } from '../src/mdx/model-session.ts';

export const GPU_SIM = 'gpu-sim';

export interface GpuSimStats {
  created: number;
  released: number;
  /** The providers each session was asked for, in order. */
  providersAsked: string[][];
}

export function gpuSimSessions(failFrom = Infinity): { factory: MdxSessionFactory; stats: GpuSimStats } {
  const stats: GpuSimStats = { created: 0, released: 0, providersAsked: [] };
  const factory: MdxSessionFactory = {
    async providers() {
      return [GPU_SIM, ...(await ORT_SESSIONS.providers())];
    },
    async create(file, options) {
      const asked = (options.executionProviders ?? []) as string[];
      stats.providersAsked.push(asked);
      const onGpu = asked[0] === GPU_SIM;
      const rest = asked.filter((p) => p !== GPU_SIM);
      const real = await ORT_SESSIONS.create(file, {
        ...options,
        executionProviders: rest.length > 0 ? rest : ['cpu'],
      });
      stats.created++;
      let runs = 0;
      return new Proxy(real, {
        get(target, prop) {
          if (prop === 'run' && onGpu)
            return async (feeds: InferenceSession.FeedsType) => {
              if (++runs >= failFrom)
                throw new Error(
                  'CUDA failure 2: out of memory ; GPU=0 ; hostname=test ; expr=cudaMalloc(&p, size);',
                );
              return target.run(feeds);
            };
          if (prop === 'release')
            return async () => {
              stats.released++;
              await target.release();
            };
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  return { factory, stats };
}
