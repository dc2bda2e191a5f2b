// SubscribeToShard through the AWS SDK for JavaScript v3, which speaks HTTP/2 to Kinesis
// (h2c with prior knowledge on an http:// endpoint): every record in order, across the
// five-minute end of a subscription and its renewal from the continuation sequence number,
// then across a split: the parent's last event lists its children, which are read next.
//
// Usage: node js_subscribe.mjs <endpoint>; needs `npm ci --prefix tests/peers`. The server's
// engine runs on a manual clock: the script prints "expire" when the test should move it five
// minutes on, and waits for a line on stdin.

import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
} from "@aws-sdk/client-kinesis";
import assert from "node:assert/strict";
import { createInterface } from "node:readline";

const client = new KinesisClient({
  endpoint: process.argv[2],
  region: "us-east-1",
  credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "secret" },
  maxAttempts: 1,
});
const STREAM = "efo-js";
const SHARD = "shardId-000000000000";

await client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
const registered = await client.send(
  new RegisterStreamConsumerCommand({
    StreamARN: summary.StreamDescriptionSummary.StreamARN,
    ConsumerName: "js",
  }),
);
const consumer = registered.Consumer.ConsumerARN;

async function put(from, to) {
  const sent = [];
  for (let i = from; i < to; i++) {
    const data = `r${String(i).padStart(3, "0")}`;
    await client.send(
      new PutRecordCommand({
        StreamName: STREAM,
        PartitionKey: `k${i}`,
        Data: Buffer.from(data),
      }),
    );
    sent.push(data);
  }
  return sent;
}

async function subscribe(position, shard = SHARD) {
  const out = await client.send(
    new SubscribeToShardCommand({ ConsumerARN: consumer, ShardId: shard, StartingPosition: position }),
  );
  return out.EventStream[Symbol.asyncIterator]();
}

// Reads events until `n` records have come; returns them and the last continuation number.
async function read(events, n) {
  const got = [];
  let continuation;
  while (got.length < n) {
    const { value, done } = await events.next();
    assert.ok(!done, "the stream is still open");
    const e = value.SubscribeToShardEvent;
    if (!e) continue;
    for (const r of e.Records) got.push(Buffer.from(r.Data).toString());
    continuation = e.ContinuationSequenceNumber;
    assert.ok(e.MillisBehindLatest >= 0);
  }
  assert.equal(got.length, n);
  return [got, continuation];
}

let sent = await put(0, 5);
let events = await subscribe({ Type: "TRIM_HORIZON" });
let [got] = await read(events, 5);
// Records put while subscribed are pushed on the same stream.
sent = sent.concat(await put(5, 10));
const [more, continuation] = await read(events, 5);
got = got.concat(more);

// The test moves the engine's clock five minutes on: the stream ends cleanly.
const lines = createInterface({ input: process.stdin });
const nextLine = lines[Symbol.asyncIterator]();
console.log("expire");
await nextLine.next();
for (;;) {
  const { done } = await events.next();
  if (done) break;
}
lines.close();
// An open stdin would keep node from exiting.
process.stdin.destroy();

sent = sent.concat(await put(10, 13));
events = await subscribe({ Type: "AFTER_SEQUENCE_NUMBER", SequenceNumber: continuation });
const [last] = await read(events, 3);
got = got.concat(last);
assert.deepEqual(got, sent);

// A split closes the parent: its last event lists the two children, and the stream ends.
await client.send(
  new SplitShardCommand({
    StreamName: STREAM,
    ShardToSplit: SHARD,
    NewStartingHashKey: (1n << 127n).toString(),
  }),
);
let children;
for (;;) {
  const { value, done } = await events.next();
  if (done) break;
  const e = value.SubscribeToShardEvent;
  if (e?.ChildShards?.length) children = e.ChildShards.map((c) => c.ShardId).sort();
}
assert.deepEqual(children, ["shardId-000000000001", "shardId-000000000002"]);
const after = await put(13, 33);
const fromChildren = [];
for (const child of children) {
  const childEvents = await subscribe({ Type: "TRIM_HORIZON" }, child);
  for (;;) {
    const { value } = await childEvents.next();
    const e = value.SubscribeToShardEvent;
    if (!e) continue;
    for (const r of e.Records) fromChildren.push(Buffer.from(r.Data).toString());
    break;
  }
  await childEvents.return?.();
}
assert.deepEqual(fromChildren.sort(), after);
client.destroy();
console.log("js subscribe ok");
// The SDK keeps its HTTP/2 session (with the renewed subscription) open after destroy().
process.exit(0);
