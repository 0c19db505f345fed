export * from './data-source';
export * from './entities/workspace.entity';
export * from './entities/api-key.entity';
export * from './entities/integrated-account.entity';
export * from './credentials/credential-cipher';
export * from './repositories/workspace.repository';
export * from './repositories/integrated-account.repository';
export * from './nest/persistence.module';
