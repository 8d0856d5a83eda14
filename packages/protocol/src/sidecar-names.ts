import { extname } from 'node:path';

/**
 * Names a per-song options file (sidecar) may have beside an input `song.m4a`: song.m4a.yaml, song.m4a.yml,
 * song.yaml, song.yml, and the earlier version's song.stems.yml, song.stems.yaml. The first that exists is
 * read: by the worker inside a bundle, by the inbox beside a dropped song (which carries it into the bundle).
 */
export function sidecarCandidates(inputPath: string): string[] {
  const stem = inputPath.slice(0, inputPath.length - extname(inputPath).length);
  return [
    `${inputPath}.yaml`,
    `${inputPath}.yml`,
    `${stem}.yaml`,
    `${stem}.yml`,
    `${stem}.stems.yml`,
    `${stem}.stems.yaml`,
  ];
}

/** Whether a file name is one a sidecar may have (it ends in .yaml or .yml). */
export function isSidecarName(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}
