#!/usr/bin/env python3
"""The async-kinesis side of `streamwatch bench client`.

Runs the Python library async-kinesis (https://pypi.org/project/async-kinesis/) against a
Kinesis endpoint and prints one JSON line on stdout:

    produce: {"records": N, "seconds": S, "cpu_seconds": C, "delivered": D}
    consume: {"records": N, "seconds": S, "cpu_seconds": C, "bytes": B}

`produce` puts N records of --record-size random bytes with random 16-hex-character partition
keys (built before the clock starts) through `kinesis.Producer` and times from the first put
until the producer is closed. `consume` reads a stream from TRIM_HORIZON with
`kinesis.Consumer` and times from opening the consumer until N records have arrived.

Both pass records through as raw bytes (the library's default processor would JSON-encode
them) and lift the library's client-side per-shard write limits, since the engine runs with
its limits off; everything else is the library's default (batches of 500, a 0.5 s buffer
time, a queue of 10,000). `cpu_seconds` is this process's user + system CPU over the timed
part. Credentials and region come from the environment (`streamwatch bench client` sets them).

Install: python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt
"""

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import time

from kinesis import Consumer, Producer
from kinesis.aggregators import SimpleAggregator
from kinesis.processors import Processor
from kinesis.serializers import Serializer

# Distinct payloads built up front; records take them in turn (as the Rust side does).
DISTINCT_PAYLOADS = 4096
# Stands for "no limit" in async-kinesis's per-shard put throttles.
NO_LIMIT = 10**12


class BytesSerializer(Serializer):
    """Leaves records as the bytes they are."""

    def serialize(self, item):
        return item

    def deserialize(self, data):
        return data


class BytesProcessor(Processor, SimpleAggregator, BytesSerializer):
    """One Kinesis record per put, its data the bytes given."""


class _DropLimitWarning(logging.Filter):
    """Hides the warning about a put bandwidth above 1 MiB/s per shard, which we ask for."""

    def filter(self, record):
        return "exceeds 1024kb" not in record.getMessage()


def build_records(n, size, seed):
    rng = random.Random(seed)
    payloads = [rng.randbytes(size) for _ in range(min(n, DISTINCT_PAYLOADS))]
    keys = ["%016x" % rng.getrandbits(64) for _ in range(n)]
    return [(payloads[i % len(payloads)], keys[i]) for i in range(n)]


async def produce(args):
    records = build_records(args.records, args.record_size, args.seed)
    delivered = 0

    async def count(items):
        nonlocal delivered
        delivered += len(items)

    producer = Producer(
        args.stream,
        endpoint_url=args.endpoint,
        region_name=args.region,
        processor=BytesProcessor(),
        batch_size=500,
        put_rate_limit_per_shard=NO_LIMIT,
        put_bandwidth_limit_per_shard=NO_LIMIT,
        after_flush_fun=count,
    )
    async with producer:
        cpu = time.process_time()
        start = time.perf_counter()
        for data, key in records:
            await producer.put(data, partition_key=key)
    # Leaving the block closed the producer: every queued record has been sent.
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    if delivered != args.records:
        sys.exit(f"async-kinesis producer delivered {delivered} of {args.records} records")
    return {"records": args.records, "seconds": seconds, "cpu_seconds": cpu, "delivered": delivered}


async def consume(args):
    received = 0
    data_bytes = 0
    cpu = time.process_time()
    start = time.perf_counter()
    deadline = start + args.timeout
    consumer = Consumer(
        args.stream,
        endpoint_url=args.endpoint,
        region_name=args.region,
        processor=BytesProcessor(),
        iterator_type="TRIM_HORIZON",
        # The documented maximum (AWS allows 5 GetRecords per second per shard).
        shard_fetch_rate=5,
    )
    async with consumer:
        while received < args.records:
            # Iteration stops after `idle_timeout` (2 s) without a record; go on until done.
            async for item in consumer:
                received += 1
                data_bytes += len(item)
                if received >= args.records:
                    break
            if received < args.records and time.perf_counter() > deadline:
                sys.exit(
                    f"async-kinesis consumer got {received} of {args.records} records "
                    f"in {args.timeout} s"
                )
        seconds = time.perf_counter() - start
        cpu = time.process_time() - cpu
    return {"records": received, "seconds": seconds, "cpu_seconds": cpu, "bytes": data_bytes}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["produce", "consume"])
    parser.add_argument("--endpoint", required=True, help="Kinesis endpoint URL")
    parser.add_argument("--stream", required=True, help="stream name")
    parser.add_argument("--records", type=int, required=True, help="records to put or read")
    parser.add_argument("--record-size", type=int, default=1024, help="bytes per record (produce)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data and keys (produce)")
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    parser.add_argument("--timeout", type=float, default=600, help="seconds before giving up (consume)")
    args = parser.parse_args()
    if args.records < 1:
        parser.error("--records must be at least 1")

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("kinesis.producer").addFilter(_DropLimitWarning())

    run = produce if args.mode == "produce" else consume
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
