import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { CredentialCipher } from '@kb4/persistence';
import { loadConfig } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';
import { GatewayModule } from '../gateway.module';
import { buildOpenApiDocument } from './openapi';

export const OPENAPI_PATH = resolve(__dirname, '../../../../openapi.json');

/** The gateway's OpenAPI document, built in Nest's preview mode: no database, Kafka or KnowBe4 needed. */
export async function generateOpenApiJson(): Promise<string> {
  const config = loadConfig(GatewayConfig, { CREDENTIALS_KEY: CredentialCipher.generateKey() });
  const app = await NestFactory.create(GatewayModule.forConfig(config), { preview: true, logger: false, abortOnError: false });
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

// `npm run openapi` rewrites the committed openapi.json and the typed client's types generated from it (libs/client)
if (require.main === module) {
  generateOpenApiJson()
    .then(async (json) => {
      writeFileSync(OPENAPI_PATH, json);
      process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
      // loaded only here: openapi-typescript pulls in ES modules, which the specs that build the document cannot load
      const { CLIENT_TYPES_PATH, generateClientTypes } = await import('./generate-client-types');
      writeFileSync(CLIENT_TYPES_PATH, await generateClientTypes(json));
      process.stdout.write(`wrote ${CLIENT_TYPES_PATH}\n`);
    })
    .catch((error: Error) => {
      process.stderr.write(`openapi generation failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    });
}
