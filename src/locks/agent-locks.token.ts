export const AGENT_LOCKS = Symbol('AGENT_LOCKS');
