export * from './mapping-rule';
export * from './safe-pattern';
export * from './evaluate-rules';
