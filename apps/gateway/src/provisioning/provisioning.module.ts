import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { OperationMirrorRepository, OperationRepository, OutboxRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { RequestActorInterceptor } from '../auth/request-actor';
import { CommandRelay } from './command-relay';
import { GroupWritesController } from './group-writes.controller';
import { OperationsController } from './operations.controller';
import { OperationReconciler } from './operation-reconciler';
import { OperationWaiter } from './operation-waiter';
import { ProvisioningService } from './provisioning.service';
import { UserWritesController } from './user-writes.controller';

/** Issue 6: the write endpoints, /operations, and the relay that publishes their commands. */
@Module({
  controllers: [UserWritesController, GroupWritesController, OperationsController],
  providers: [
    { provide: OperationRepository, useFactory: (ds: DataSource) => new OperationRepository(ds), inject: [DataSource] },
    { provide: OperationMirrorRepository, useFactory: (ds: DataSource) => new OperationMirrorRepository(ds), inject: [DataSource] },
    { provide: OutboxRepository, useFactory: (ds: DataSource) => new OutboxRepository(ds), inject: [DataSource] },
    ProvisioningService,
    OperationWaiter,
    CommandRelay,
    OperationReconciler,
    // every write's operation records who asked (operations.actor)
    { provide: APP_INTERCEPTOR, useClass: RequestActorInterceptor },
  ],
})
export class ProvisioningModule {}
