// The `streamwatch load` scenario in plain k6: PutRecords against the Kinesis JSON API at a
// constant arrival rate, signed with AWS Signature Version 4 using k6/crypto only (no
// extensions), with the same metric names and pipeline thresholds.
//
//   k6 run -e ENDPOINT=http://127.0.0.1:4567 -e STREAM=orders -e RATE=200 -e DURATION=30s \
//     --summary-export summary.json examples/k6/kinesis.js
//
// Each iteration is one PutRecords call of BATCH records (default 10) of RECORD_BYTES bytes;
// every record carries the streamwatch load marker (`_lt`, `_seq`, `_sent_ms`), so a
// downstream reader can match it. REGION, ACCESS_KEY and SECRET_KEY default to what the
// embedded engine accepts.
//
// With OUTPUT_STREAM (a stream the pipeline's function writes each record to, keeping its
// marker), a second scenario reads that stream for the test's duration plus DRAIN (default
// 10s) and measures end_to_end_latency (the downstream record's arrival minus its send time)
// and pipeline_throughput (records that came out), with the end-to-end threshold added.

import http from 'k6/http';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { sleep } from 'k6';

const ENDPOINT = __ENV.ENDPOINT || 'http://127.0.0.1:4567';
const STREAM = __ENV.STREAM || 'k6-load';
const REGION = __ENV.REGION || 'us-east-1';
const ACCESS_KEY = __ENV.ACCESS_KEY || 'k6';
const SECRET_KEY = __ENV.SECRET_KEY || 'k6';
const BATCH = parseInt(__ENV.BATCH || '10', 10);
const RECORD_BYTES = parseInt(__ENV.RECORD_BYTES || '1024', 10);
const OUTPUT_STREAM = __ENV.OUTPUT_STREAM || '';
const DURATION = __ENV.DURATION || '30s';
const DRAIN = __ENV.DRAIN || '10s';

const putDuration = new Trend('kinesis_put_record_duration', true);
const putSuccess = new Rate('kinesis_put_record_success_rate');
const putThroughput = new Counter('kinesis_put_record_throughput');
const throttling = new Rate('kinesis_throttling_rate');
const errors = new Rate('error_rate');
const endToEnd = new Trend('end_to_end_latency', true);
const pipelineThroughput = new Counter('pipeline_throughput');

// Seconds in a k6 duration of whole `h`, `m` and `s` parts (`30s`, `1m30s`).
function seconds(text) {
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(h|m|s)/g)) {
    total += parseInt(n, 10) * { h: 3600, m: 60, s: 1 }[unit];
  }
  return total;
}

const scenarios = {
  kinesis: {
    executor: 'constant-arrival-rate',
    rate: parseInt(__ENV.RATE || '100', 10),
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: parseInt(__ENV.VUS || '20', 10),
  },
};
const thresholds = {
  kinesis_put_record_duration: ['avg<50', 'p(95)<100'],
  kinesis_put_record_success_rate: ['rate>0.999'],
  kinesis_throttling_rate: ['rate<0.001'],
  error_rate: ['rate<0.001'],
};
if (OUTPUT_STREAM) {
  scenarios.downstream = {
    executor: 'constant-vus',
    vus: 1,
    duration: `${seconds(DURATION) + seconds(DRAIN)}s`,
    exec: 'readDownstream',
  };
  thresholds.end_to_end_latency = ['p(95)<2000'];
}

export const options = { scenarios, thresholds };

function hex(bytes) {
  return crypto.sha256(bytes, 'hex');
}

// AWS Signature Version 4 for a POST to `/` of the Kinesis JSON protocol.
function signedHeaders(target, body) {
  const host = ENDPOINT.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const now = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const date = now.slice(0, 8);
  const headers = {
    'content-type': 'application/x-amz-json-1.1',
    host: host,
    'x-amz-date': now,
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const canonical = [
    'POST',
    '/',
    '',
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    hex(body),
  ].join('\n');
  const scope = `${date}/${REGION}/kinesis/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', now, scope, hex(canonical)].join('\n');
  let key = crypto.hmac('sha256', `AWS4${SECRET_KEY}`, date, 'binary');
  for (const part of [REGION, 'kinesis', 'aws4_request']) {
    key = crypto.hmac('sha256', key, part, 'binary');
  }
  const signature = crypto.hmac('sha256', key, toSign, 'hex');
  return {
    'Content-Type': headers['content-type'],
    'X-Amz-Date': now,
    'X-Amz-Target': target,
    Authorization: `AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

function call(action, payload) {
  const body = JSON.stringify(payload);
  return http.post(`${ENDPOINT}/`, body, {
    headers: signedHeaders(`Kinesis_20131202.${action}`, body),
    tags: { name: action },
  });
}

export function setup() {
  const described = call('DescribeStreamSummary', { StreamName: STREAM });
  if (described.status !== 200) {
    call('CreateStream', { StreamName: STREAM, ShardCount: parseInt(__ENV.SHARDS || '4', 10) });
  }
  for (let i = 0; i < 100; i++) {
    const r = call('DescribeStreamSummary', { StreamName: STREAM });
    if (r.status === 200 && r.json('StreamDescriptionSummary.StreamStatus') === 'ACTIVE') {
      // One test id for every VU, so the downstream reader can tell this test's records.
      return { testId: __ENV.TEST_ID || `k6-${Date.now()}`, startS: Date.now() / 1000 - 1 };
    }
  }
  throw new Error(`stream ${STREAM} did not become ACTIVE`);
}

function record(testId, seq) {
  const marker = { _lt: testId, _seq: seq, _sent_ms: Date.now() };
  const fill = Math.max(0, RECORD_BYTES - JSON.stringify(marker).length - 10);
  marker._pad = 'x'.repeat(fill);
  return {
    PartitionKey: `k-${seq % 1000}`,
    Data: encoding.b64encode(JSON.stringify(marker)),
  };
}

export default function (data) {
  const first = exec.scenario.iterationInTest * BATCH;
  const records = [];
  for (let i = 0; i < BATCH; i++) {
    records.push(record(data.testId, first + i));
  }
  const res = call('PutRecords', { StreamName: STREAM, Records: records });
  putDuration.add(res.timings.duration);
  if (res.status !== 200) {
    const throttled = res.status === 400 && String(res.body).includes('ProvisionedThroughputExceeded');
    for (let i = 0; i < BATCH; i++) {
      putSuccess.add(false);
      throttling.add(throttled);
      errors.add(!throttled);
    }
    return;
  }
  for (const r of res.json('Records')) {
    const throttled = r.ErrorCode === 'ProvisionedThroughputExceededException';
    const ok = !r.ErrorCode;
    putSuccess.add(ok);
    throttling.add(throttled);
    errors.add(!ok && !throttled);
    if (ok) {
      putThroughput.add(1);
    }
  }
}

// The downstream reader's state: one VU, kept across its iterations.
let iterators = null;
const seen = new Set();

// Reads OUTPUT_STREAM from the test's start on every shard and times each record of this
// test that comes out of the pipeline.
export function readDownstream(data) {
  if (iterators === null) {
    const shards = call('ListShards', { StreamName: OUTPUT_STREAM }).json('Shards') || [];
    iterators = shards.map((s) =>
      call('GetShardIterator', {
        StreamName: OUTPUT_STREAM,
        ShardId: s.ShardId,
        ShardIteratorType: 'AT_TIMESTAMP',
        Timestamp: data.startS,
      }).json('ShardIterator'),
    );
  }
  for (let i = 0; i < iterators.length; i++) {
    if (!iterators[i]) {
      continue;
    }
    const page = call('GetRecords', { ShardIterator: iterators[i], Limit: 10000 });
    if (page.status !== 200) {
      continue;
    }
    iterators[i] = page.json('NextShardIterator');
    for (const r of page.json('Records')) {
      let marker;
      try {
        marker = JSON.parse(encoding.b64decode(r.Data, 'std', 's'));
      } catch (e) {
        continue;
      }
      if (marker._lt !== data.testId || seen.has(marker._seq)) {
        continue;
      }
      seen.add(marker._seq);
      endToEnd.add(r.ApproximateArrivalTimestamp * 1000 - marker._sent_ms);
      pipelineThroughput.add(1);
    }
  }
  sleep(0.2);
}
