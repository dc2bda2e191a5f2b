// The AWS SDK for JavaScript v3's Kinesis client, bundled for a browser page by
// crates/streamwatch/tests/pipeline/cors_browser.rs (esbuild, IIFE, global `AwsSdk`).
export {
  KinesisClient,
  CreateStreamCommand,
  ListStreamsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
