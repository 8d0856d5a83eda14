// The table of known models is what lets a user drop UVR's .onnx file into models/ with nothing beside it.
// UVR-MDX-NET-Inst_HQ_4, for a long time UVR's recommended instrumental model, was missing from it (the
// table was copied from an older model_data.json), so that file failed with MODEL_UNKNOWN.
import { describe, expect, it } from 'vitest';
import { KNOWN_MDX_MODELS } from '../src/mdx/known-models.ts';

describe('known MDX-Net models (UVR model_data.json)', () => {
  it.each([
    // hash, name, n_fft, dim_f, dim_t exponent, compensate, primary stem: UVR's model_data.json entries.
    ['55657dd70583b0fedfba5f67df11d711', 'UVR-MDX-NET-Inst_HQ_3', 6144, 3072, 8, 1.022, 'Instrumental'],
    ['0f2a6bc5b49d87d64728ee40e23bceb1', 'UVR-MDX-NET-Inst_HQ_4', 5120, 2560, 8, 1.019, 'Instrumental'],
    ['cb790d0c913647ced70fc6b38f5bea1a', 'UVR-MDX-NET-Inst_HQ_5', 5120, 2560, 8, 1.01, 'Instrumental'],
    ['b02be2d198d4968a121030cf8950b492', 'UVR-MDX-NET_Crowd_HQ_1', 5120, 2560, 8, 1.02, 'No Crowd'],
    ['b6bccda408a436db8500083ef3491e8b', 'Kim_Inst', 7680, 3072, 8, 1.02, 'Instrumental'],
    ['970b3f9492014d18fefeedfe4773cb42', 'Kim_Vocal_2', 7680, 3072, 8, 1.009, 'Vocals'],
  ] as const)('%s is %s', (hash, name, nFft, dimF, dimT, compensate, primaryStem) => {
    expect(KNOWN_MDX_MODELS.get(hash)).toEqual({
      name,
      data: {
        compensate,
        mdx_dim_f_set: dimF,
        mdx_dim_t_set: dimT,
        mdx_n_fft_scale_set: nFft,
        primary_stem: primaryStem,
      },
    });
  });
});
