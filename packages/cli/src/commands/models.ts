import type { Command } from 'commander';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerModels(program: Command): void {
  withRoot(
    program
      .command('models')
      .description(
        'list the MDX-Net .onnx models in <root>/models/ and its subfolders: UVR hash, known name, parameters and primary stem',
      )
      .option('--check', 'also open each model with ONNX Runtime and check its input shape')
      .option('--json', 'print the list as JSON'),
  ).action(lazyAction(async () => (await import('../actions/models.ts')).modelsCommand));
}
