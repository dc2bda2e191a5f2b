"""Drives SQS FIFO queues with boto3: argv[1] is the endpoint. Prints `expire` when the
five-minute deduplication window must pass; the test moves the engine's clock and answers.

Exits non-zero (an AssertionError or a botocore error) on any difference from AWS behaviour.
"""
import hashlib
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

client = boto3.client(
    "sqs",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)


def error(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{call.__name__} succeeded: {kwargs}")


code, _ = error(client.create_queue, QueueName="py-orders", Attributes={"FifoQueue": "true"})
assert code == "InvalidParameterValue", code
url = client.create_queue(
    QueueName="py-orders.fifo",
    Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
)["QueueUrl"]
assert url.endswith("/py-orders.fifo"), url
attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
assert attrs["FifoQueue"] == "true", attrs
assert attrs["DeduplicationScope"] == "queue", attrs
assert attrs["FifoThroughputLimit"] == "perQueue", attrs

assert error(client.send_message, QueueUrl=url, MessageBody="x") == (
    "MissingParameter",
    "The request must contain the parameter MessageGroupId.",
)
assert error(client.send_message, QueueUrl=url, MessageBody="x", MessageGroupId="g", DelaySeconds=2) == (
    "InvalidParameterValue",
    "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.",
)

# Two groups interleaved; each must come out in its own order.
sent = {}
for i in range(6):
    group = "a" if i % 2 == 0 else "b"
    r = client.send_message(QueueUrl=url, MessageBody=f"{group}-{i}", MessageGroupId=group)
    assert len(r["SequenceNumber"]) == 20, r
    sent[f"{group}-{i}"] = r
seqs = [int(sent[k]["SequenceNumber"]) for k in sorted(sent, key=lambda k: int(k.split("-")[1]))]
assert seqs == sorted(seqs), seqs

# Content-based deduplication: the same body again is not stored, and the answer is the first one's.
dup = client.send_message(QueueUrl=url, MessageBody="a-0", MessageGroupId="a")
assert dup["MessageId"] == sent["a-0"]["MessageId"], dup
assert dup["SequenceNumber"] == sent["a-0"]["SequenceNumber"], dup
assert dup["MD5OfMessageBody"] == hashlib.md5(b"a-0").hexdigest()

order = []
while True:
    got = client.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=30,
        ReceiveRequestAttemptId="attempt-1",
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])
    if not got:
        break
    for m in got:
        a = m["Attributes"]
        assert a["MessageGroupId"] == m["Body"][0], a
        assert a["MessageDeduplicationId"] == hashlib.sha256(m["Body"].encode()).hexdigest(), a
        assert a["SequenceNumber"] == sent[m["Body"]]["SequenceNumber"], a
        assert a["ApproximateReceiveCount"] == "1", a
        order.append(m["Body"])
    # A retry of the same attempt gets the same messages and receipt handles.
    retry = client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, ReceiveRequestAttemptId="attempt-1"
    ).get("Messages", [])
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in got], retry
    # While a group's messages are in flight, nothing more of it comes out.
    again = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert not again, again
    client.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)],
    )
for group in "ab":
    mine = [b for b in order if b.startswith(group)]
    assert mine == sorted(mine, key=lambda b: int(b.split("-")[1])), order
assert len(order) == 6, order

# An explicit deduplication id in a batch; batches without a group fail whole.
batch = client.send_message_batch(
    QueueUrl=url,
    Entries=[
        {"Id": "one", "MessageBody": "first", "MessageGroupId": "c", "MessageDeduplicationId": "same"},
        {"Id": "two", "MessageBody": "second", "MessageGroupId": "c", "MessageDeduplicationId": "same"},
    ],
)
ok = {e["Id"]: e for e in batch["Successful"]}
assert ok["one"]["MessageId"] == ok["two"]["MessageId"], batch
assert error(client.send_message_batch, QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "y"}]) == (
    "InvalidParameterValue",
    "The request must contain the parameter MessageGroupId.",
)
got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
assert [m["Body"] for m in got] == ["first"], got
client.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])

# Five minutes later the same id is new again.
print("expire", flush=True)
assert sys.stdin.readline().strip() == "moved"
later = client.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="c", MessageDeduplicationId="same")
assert later["MessageId"] != ok["one"]["MessageId"], later
assert int(later["SequenceNumber"]) > int(ok["one"]["SequenceNumber"])
got = client.receive_message(QueueUrl=url)["Messages"]
assert got[0]["MessageId"] == later["MessageId"], got

print("boto3 sqs fifo ok")
