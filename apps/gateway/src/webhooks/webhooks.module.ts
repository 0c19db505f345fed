import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CredentialCipher, WebhookRepository } from '@kb4/persistence';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** `/webhooks`: subscriptions, the delivery log and redelivery; apps/webhook-dispatcher sends the events. */
@Module({
  controllers: [WebhooksController, WebhookDeliveriesController],
  providers: [
    {
      provide: WebhookRepository,
      useFactory: (ds: DataSource, cipher: CredentialCipher) => new WebhookRepository(ds, cipher),
      inject: [DataSource, CredentialCipher],
    },
    WebhooksService,
  ],
})
export class WebhooksModule {}
