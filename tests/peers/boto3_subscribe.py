"""SubscribeToShard through boto3 (botocore's EventStream over HTTP/1.1): every record in
order across the five-minute end of a subscription and a shard split.

Usage: boto3_subscribe.py <endpoint>. The server's engine runs on a manual clock: the script
prints "expire" when the test should move it five minutes on, and waits for a line on stdin.
"""

import sys

import boto3

endpoint = sys.argv[1]
c = boto3.client(
    "kinesis",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
)
STREAM = "efo-py"
SHARD = "shardId-000000000000"

c.create_stream(StreamName=STREAM, ShardCount=1)
arn = c.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"]["StreamARN"]
consumer = c.register_stream_consumer(StreamARN=arn, ConsumerName="py")["Consumer"]["ConsumerARN"]


def put(start, end):
    sent = []
    for i in range(start, end):
        data = f"r{i:03}"
        c.put_record(StreamName=STREAM, PartitionKey=f"k{i}", Data=data.encode())
        sent.append(data)
    return sent


def events(shard, position):
    resp = c.subscribe_to_shard(ConsumerARN=consumer, ShardId=shard, StartingPosition=position)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    for event in resp["EventStream"]:
        if "SubscribeToShardEvent" in event:
            yield event["SubscribeToShardEvent"]


def read(stream, n):
    got, continuation = [], None
    while len(got) < n:
        event = next(stream)
        got += [r["Data"].decode() for r in event["Records"]]
        continuation = event["ContinuationSequenceNumber"]
        assert event["MillisBehindLatest"] >= 0
    assert len(got) == n, got
    return got, continuation


sent = put(0, 5)
stream = events(SHARD, {"Type": "TRIM_HORIZON"})
got, _ = read(stream, 5)
sent += put(5, 8)
more, continuation = read(stream, 3)
got += more

# The test moves the engine's clock five minutes on: the stream ends cleanly.
print("expire", flush=True)
sys.stdin.readline()
for _ in stream:
    pass

sent += put(8, 10)
stream = events(SHARD, {"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": continuation})
more, _ = read(stream, 2)
got += more
assert got == sent, (got, sent)

c.split_shard(StreamName=STREAM, ShardToSplit=SHARD, NewStartingHashKey=str(1 << 127))
children = None
for event in stream:
    assert event["Records"] == [], event
    if event.get("ChildShards"):
        children = sorted(s["ShardId"] for s in event["ChildShards"])
assert children == ["shardId-000000000001", "shardId-000000000002"], children

after = put(10, 30)
from_children = []
for child in children:
    first = next(events(child, {"Type": "TRIM_HORIZON"}))
    from_children += [r["Data"].decode() for r in first["Records"]]
assert sorted(from_children) == after, from_children

# A second subscription of the same consumer and shard within five seconds is refused.
consumer = c.register_stream_consumer(StreamARN=arn, ConsumerName="py2")["Consumer"]["ConsumerARN"]
live = events("shardId-000000000001", {"Type": "LATEST"})
next(live)
try:
    next(events("shardId-000000000001", {"Type": "LATEST"}))
    raise AssertionError("the second subscription was accepted")
except c.exceptions.ResourceInUseException as e:
    assert e.response["Error"]["Message"].startswith(
        "Another active subscription exists for this consumer"
    ), e.response
print("boto3 subscribe ok")
