import { Module } from '@nestjs/common';
import { LiveEventHub } from './live-event-hub';
import { LiveEventsController } from './live-events.controller';

/** GET /events/stream (Server-Sent Events) fed by one Kafka consumer per gateway process. */
@Module({ controllers: [LiveEventsController], providers: [LiveEventHub], exports: [LiveEventHub] })
export class LiveEventsModule {}
