export * from './knowbe4/knowbe4-records';
export * from './knowbe4/normalize';
export * from './unified/from-knowbe4';
export * from './scim/scim-resources';
export * from './scim/user-scim-mapping';
export * from './scim/group-scim-mapping';
export * from './diff/canonical-json';
export * from './diff/diff-records';
