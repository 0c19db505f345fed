import { Module } from '@nestjs/common';
import { OperationRepository, RosterPlanRepository, RosterRunRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { RosterController } from './roster.controller';
import { RosterExecutor } from './roster-executor';
import { RosterPlanner } from './roster-planner';
import { RosterService } from './roster.service';

/** Issue 13 point 1: PUT /unified/user-directory/roster, roster settings, /roster-runs, and the executor applying runs. */
@Module({
  controllers: [RosterController],
  providers: [
    { provide: OperationRepository, useFactory: (ds: DataSource) => new OperationRepository(ds), inject: [DataSource] },
    { provide: RosterPlanRepository, useFactory: (ds: DataSource) => new RosterPlanRepository(ds), inject: [DataSource] },
    { provide: RosterRunRepository, useFactory: (ds: DataSource) => new RosterRunRepository(ds), inject: [DataSource] },
    RosterPlanner,
    RosterExecutor,
    RosterService,
  ],
})
export class RosterModule {}
