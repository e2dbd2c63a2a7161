// Who we are to a price document's `engine` range (SPEC §6). Kept equal to package.json's
// version by engine.spec.ts.
export const ENGINE_NAME = 'spendguard-engine';
export const ENGINE_VERSION = '0.1.0';
