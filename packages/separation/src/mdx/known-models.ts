// UVR's MDX-Net model data: the parameters of known models, keyed by the UVR hash of the model file (MD5 of its
// last 10,240,000 bytes). Facts copied from UVR's models/MDX_Net_Models/model_data/model_data.json
// (Anjok07/ultimatevocalremovergui, as of its Inst HQ 4 / Crowd HQ 1 / Inst HQ 5 entries). MDX23C
// entries (config_yaml) are left out: they are another architecture. Names are the usual file names, where a
// public list pairs them with the hash; the others are unnamed here.
import type { MdxModelData } from './model-params.ts';

type Row = [
  hash: string,
  name: string | null,
  nFft: number,
  dimF: number,
  dimTExp: number,
  compensate: number,
  primaryStem: string,
];

// prettier-ignore
const ROWS: Row[] = [
  ['0ddfc0eb5792638ad5dc27850236c246', "UVR_MDXNET_9482", 6144, 2048, 8, 1.035, 'Vocals'],
  ['26d308f91f3423a67dc69a6d12a8793d', "kuielab_a_other", 8192, 2048, 9, 1.035, 'Other'],
  ['2cdd429caac38f0194b133884160f2c6', "UVR-MDX-NET-Inst_1", 7680, 3072, 8, 1.045, 'Instrumental'],
  ['2f5501189a2f6db6349916fabe8c90de', "UVR_MDXNET_KARA", 6144, 2048, 8, 1.035, 'Vocals'],
  ['398580b6d5d973af3120df54cee6759d', "UVR-MDX-NET_Main_390", 7680, 3072, 8, 1.75, 'Vocals'],
  ['488b3e6f8bd3717d9d7c428476be2d75', "UVR-MDX-NET_Inst_90_beta", 7680, 3072, 8, 1.035, 'Instrumental'],
  ['4910e7827f335048bdac11fa967772f9', "kuielab_b_drums", 4096, 2048, 7, 1.035, 'Drums'],
  ['53c4baf4d12c3e6c3831bb8f5b532b93', "UVR_MDXNET_Main", 7680, 3072, 8, 1.043, 'Vocals'],
  ['5d343409ef0df48c7d78cce9f0106781', "UVR-MDX-NET_Main_406", 7680, 3072, 8, 1.075, 'Vocals'],
  ['5f6483271e1efb9bfb59e4a3e6d4d098', "kuielab_a_vocals", 6144, 2048, 9, 1.035, 'Vocals'],
  ['65ab5919372a128e4167f5e01a8fda85', "kuielab_b_other", 8192, 2048, 8, 1.035, 'Other'],
  ['6703e39f36f18aa7855ee1047765621d', "kuielab_a_bass", 16384, 2048, 9, 1.035, 'Bass'],
  ['6b31de20e84392859a3d09d43f089515', "kuielab_b_vocals", 6144, 2048, 8, 1.035, 'Vocals'],
  ['867595e9de46f6ab699008295df62798', "UVR-MDX-NET_Main_340", 7680, 3072, 8, 1.03, 'Vocals'],
  ['a3cd63058945e777505c01d2507daf37', "UVR_MDXNET_1_9703", 6144, 2048, 8, 1.03, 'Vocals'],
  ['b33d9b3950b6cbf5fe90a32608924700', "UVR-MDX-NET_Main_427", 7680, 3072, 8, 1.03, 'Vocals'],
  ['c3b29bdce8c4fa17ec609e16220330ab', "kuielab_b_bass", 16384, 2048, 8, 1.035, 'Bass'],
  ['ceed671467c1f64ebdfac8a2490d0d52', "UVR-MDX-NET-Inst_2", 7680, 3072, 8, 1.035, 'Instrumental'],
  ['d2a1376f310e4f7fa37fb9b5774eb701', "UVR-MDX-NET_Inst_187_beta", 7680, 3072, 8, 1.035, 'Instrumental'],
  ['d7bff498db9324db933d913388cba6be', "UVR_MDXNET_3_9662", 6144, 2048, 8, 1.035, 'Vocals'],
  ['d94058f8c7f1fae4164868ae8ae66b20', "UVR_MDXNET_2_9682", 6144, 2048, 8, 1.035, 'Vocals'],
  ['dc41ede5961d50f277eb846db17f5319', "kuielab_a_drums", 4096, 2048, 9, 1.035, 'Drums'],
  ['e5572e58abf111f80d8241d2e44e7fa4', "UVR-MDX-NET-Inst_3", 7680, 3072, 8, 1.028, 'Instrumental'],
  ['e7324c873b1f615c35c1967f912db92a', "UVR-MDX-NET_Main_438", 7680, 3072, 8, 1.03, 'Vocals'],
  ['1c56ec0224f1d559c42fd6fd2a67b154', "UVR-MDX-NET-Inst_Main", 5120, 2048, 8, 1.025, 'Instrumental'],
  ['f2df6d6863d8f435436d8b561594ff49', "UVR-MDX-NET_Inst_82_beta", 7680, 3072, 8, 1.035, 'Instrumental'],
  ['b06327a00d5e5fbc7d96e1781bbdb596', "UVR-MDX-NET-Inst_full_292", 6144, 3072, 8, 1.035, 'Instrumental'],
  ['94ff780b977d3ca07c7a343dab2e25dd', "UVR-MDX-NET-Inst_full_403", 6144, 3072, 8, 1.039, 'Instrumental'],
  ['73492b58195c3b52d34590d5474452f6', "Kim_Vocal_1", 7680, 3072, 8, 1.043, 'Vocals'],
  ['970b3f9492014d18fefeedfe4773cb42', "Kim_Vocal_2", 7680, 3072, 8, 1.009, 'Vocals'],
  ['1d64a6d2c30f709b8c9b4ce1366d96ee', "UVR_MDXNET_KARA_2", 5120, 2048, 8, 1.065, 'Instrumental'],
  ['203f2a3955221b64df85a41af87cf8f0', null, 6144, 3072, 8, 1.035, 'Instrumental'],
  ['291c2049608edb52648b96e27eb80e95', "UVR-MDX-NET-Inst_HQ_1", 6144, 3072, 8, 1.035, 'Instrumental'],
  ['ead8d05dab12ec571d67549b3aab03fc', null, 6144, 3072, 8, 1.035, 'Instrumental'],
  ['cc63408db3d80b4d85b0287d1d7c9632', "UVR-MDX-NET-Inst_HQ_2", 6144, 3072, 8, 1.033, 'Instrumental'],
  ['cd5b2989ad863f116c855db1dfe24e39', "Reverb_HQ_By_FoxJoy", 6144, 3072, 9, 1.035, 'Reverb'],
  ['55657dd70583b0fedfba5f67df11d711', "UVR-MDX-NET-Inst_HQ_3", 6144, 3072, 8, 1.022, 'Instrumental'],
  ['b6bccda408a436db8500083ef3491e8b', "Kim_Inst", 7680, 3072, 8, 1.02, 'Instrumental'],
  ['8a88db95c7fb5dbe6a095ff2ffb428b1', null, 5120, 2048, 8, 1.026, 'Instrumental'],
  ['b78da4afc6512f98e4756f5977f5c6b9', null, 7680, 3072, 8, 1.021, 'Instrumental'],
  ['77d07b2667ddf05b9e3175941b4454a0', "UVR-MDX-NET-Voc_FT", 7680, 3072, 8, 1.021, 'Vocals'],
  ['0f2a6bc5b49d87d64728ee40e23bceb1', "UVR-MDX-NET-Inst_HQ_4", 5120, 2560, 8, 1.019, 'Instrumental'],
  ['cb790d0c913647ced70fc6b38f5bea1a', "UVR-MDX-NET-Inst_HQ_5", 5120, 2560, 8, 1.01, 'Instrumental'],
  ['b02be2d198d4968a121030cf8950b492', "UVR-MDX-NET_Crowd_HQ_1", 5120, 2560, 8, 1.02, 'No Crowd'],
];

/** A known model: its name (when known) and UVR's model-data entry. */
export interface KnownMdxModel {
  name: string | null;
  data: MdxModelData;
}

export const KNOWN_MDX_MODELS: ReadonlyMap<string, KnownMdxModel> = new Map(
  ROWS.map(([hash, name, nFft, dimF, dimTExp, compensate, primaryStem]) => [
    hash,
    {
      name,
      data: {
        compensate,
        mdx_dim_f_set: dimF,
        mdx_dim_t_set: dimTExp,
        mdx_n_fft_scale_set: nFft,
        primary_stem: primaryStem,
      },
    },
  ]),
);
