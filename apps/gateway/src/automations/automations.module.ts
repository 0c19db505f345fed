import { Module } from '@nestjs/common';
import { AutomationConfigRepository, AutomationStateRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { AutomationsController } from './automations.controller';
import { AutomationsService } from './automations.service';

/** Issue 13 points 2 and 3: new-hire settings, mapping rules and their preview, reported conflicts; apps/automations applies them. */
@Module({
  controllers: [AutomationsController],
  providers: [
    { provide: AutomationConfigRepository, useFactory: (ds: DataSource) => new AutomationConfigRepository(ds), inject: [DataSource] },
    { provide: AutomationStateRepository, useFactory: (ds: DataSource) => new AutomationStateRepository(ds), inject: [DataSource] },
    AutomationsService,
  ],
})
export class AutomationsModule {}
