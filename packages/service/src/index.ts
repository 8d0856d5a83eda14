export { defineService } from './define-service.ts';
export type { ServiceDefinition, ServiceStartOptions, ServiceState } from './define-service.ts';
export { SERVICE_ERRORS } from './errors.ts';
