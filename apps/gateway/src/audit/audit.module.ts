import { Module } from '@nestjs/common';
import { AuditLogRepository, OperationMirrorRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { AuditController, UserHistoryController } from './audit.controller';
import { AuditService } from './audit.service';

@Module({
  controllers: [AuditController, UserHistoryController],
  providers: [
    { provide: AuditLogRepository, useFactory: (ds: DataSource) => new AuditLogRepository(ds), inject: [DataSource] },
    { provide: OperationMirrorRepository, useFactory: (ds: DataSource) => new OperationMirrorRepository(ds), inject: [DataSource] },
    AuditService,
  ],
})
export class AuditModule {}
