import { Module } from '@nestjs/common';
import { IdentityGraphReadRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { PhishingCampaignsController, PhishingSecurityTestsController, RiskScoreHistoryController, TrainingEnrollmentsController } from './identity-graph.controllers';
import { IdentityGraphReadService } from './identity-graph-read.service';
import { UserExpansions } from './user-expansions';

/** The identity graph's read routes, and the `expand=` of user reads (exported to the directory module). */
@Module({
  controllers: [TrainingEnrollmentsController, PhishingCampaignsController, PhishingSecurityTestsController, RiskScoreHistoryController],
  providers: [
    { provide: IdentityGraphReadRepository, useFactory: (dataSource: DataSource) => new IdentityGraphReadRepository(dataSource), inject: [DataSource] },
    IdentityGraphReadService,
    UserExpansions,
  ],
  exports: [UserExpansions],
})
export class IdentityGraphModule {}
