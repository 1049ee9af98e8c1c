/** Addresses of the real servers, as published by the global setup. Fails loudly when it did not run. */
export function testInfra(): { postgresUrl: string; kafkaBrokers: string[] } {
  const postgresUrl = process.env['TAGGUARD_PG_URL'];
  const brokers = process.env['TAGGUARD_KAFKA_BROKERS'];
  if (!postgresUrl || !brokers) {
    throw new Error(
      'TAGGUARD_PG_URL / TAGGUARD_KAFKA_BROKERS are not set: run with projectConfig(..., { infra: true })',
    );
  }
  return { postgresUrl, kafkaBrokers: brokers.split(',') };
}
