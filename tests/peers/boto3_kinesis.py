"""Drives the Kinesis API with boto3, an independent client: argv[1] is the endpoint.

Exits non-zero (an AssertionError or a botocore error) on any difference from AWS behaviour.
"""
import sys
import time

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
client = boto3.client(
    "kinesis",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)

client.create_stream(StreamName="py", ShardCount=2)
client.get_waiter("stream_exists").wait(StreamName="py", WaiterConfig={"Delay": 1, "MaxAttempts": 10})

desc = client.describe_stream(StreamName="py")["StreamDescription"]
assert desc["StreamStatus"] == "ACTIVE", desc
assert len(desc["Shards"]) == 2
assert desc["StreamARN"] == "arn:aws:kinesis:us-east-1:000000000000:stream/py"
assert desc["Shards"][0]["HashKeyRange"]["EndingHashKey"] == str(2**127 - 1)

put = client.put_record(StreamName="py", PartitionKey="alpha", Data=b"\x00\x01binary\xff")
assert put["SequenceNumber"].isdigit() and len(put["SequenceNumber"]) == 56, put

batch = client.put_records(
    StreamName="py",
    Records=[{"PartitionKey": f"k{i}", "Data": f"record-{i}".encode()} for i in range(50)],
)
assert batch["FailedRecordCount"] == 0, batch
assert len(batch["Records"]) == 50

found = {}
for shard in client.list_shards(StreamARN=desc["StreamARN"])["Shards"]:
    it = client.get_shard_iterator(
        StreamName="py", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    out = client.get_records(ShardIterator=it, Limit=1000)
    assert out["MillisBehindLatest"] == 0, out["MillisBehindLatest"]
    for r in out["Records"]:
        found[r["SequenceNumber"]] = (r["PartitionKey"], r["Data"])
        # botocore parses the arrival time into a datetime.
        assert abs(r["ApproximateArrivalTimestamp"].timestamp() - time.time()) < 120
assert found[put["SequenceNumber"]] == ("alpha", b"\x00\x01binary\xff")
assert len(found) == 51

try:
    client.describe_stream(StreamName="missing")
    raise AssertionError("expected ResourceNotFoundException")
except client.exceptions.ResourceNotFoundException as e:
    assert e.response["Error"]["Message"] == "Stream missing under account 000000000000 not found."

try:
    client.create_stream(StreamName="bad name", ShardCount=1)
    raise AssertionError("expected a validation error")
except client.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response

try:
    client.get_records(ShardIterator="AAAA")
    raise AssertionError("expected InvalidArgumentException")
except client.exceptions.InvalidArgumentException as e:
    assert e.response["Error"]["Message"] == "Invalid ShardIterator."

paginator = client.get_paginator("list_streams")
names = [n for page in paginator.paginate() for n in page["StreamNames"]]
assert names == ["py"], names

client.delete_stream(StreamName="py")
client.get_waiter("stream_not_exists").wait(StreamName="py", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
print("boto3 ok")
