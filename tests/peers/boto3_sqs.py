"""Drives the SQS API with boto3 (AWS JSON 1.0): argv[1] is the endpoint.

Exits non-zero (an AssertionError or a botocore error) on any difference from AWS behaviour.
"""
import hashlib
import sys
import time

import boto3
from botocore.config import Config

client = boto3.client(
    "sqs",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)

url = client.create_queue(QueueName="py-queue", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
assert url.endswith("/000000000000/py-queue"), url
assert client.get_queue_url(QueueName="py-queue")["QueueUrl"] == url
assert url in client.list_queues(QueueNamePrefix="py-")["QueueUrls"]

body = "hello from boto3"
sent = client.send_message(
    QueueUrl=url,
    MessageBody=body,
    MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "greeting"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    },
)
assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest(), sent
assert len(sent["MD5OfMessageAttributes"]) == 32, sent

batch = client.send_message_batch(
    QueueUrl=url,
    Entries=[{"Id": f"m{i}", "MessageBody": f"batch-{i}"} for i in range(3)],
)
assert [s["Id"] for s in batch["Successful"]] == ["m0", "m1", "m2"], batch
assert not batch.get("Failed"), batch

got = client.receive_message(
    QueueUrl=url,
    MaxNumberOfMessages=10,
    WaitTimeSeconds=1,
    MessageSystemAttributeNames=["All"],
    MessageAttributeNames=["All"],
)["Messages"]
assert len(got) == 4, got
first = got[0]
assert first["Body"] == body
assert first["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
assert first["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"
assert first["Attributes"]["ApproximateReceiveCount"] == "1"

attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
assert attrs["ApproximateNumberOfMessagesNotVisible"] == "4", attrs
assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:py-queue"

deleted = client.delete_message_batch(
    QueueUrl=url,
    Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got[1:])],
)
assert len(deleted["Successful"]) == 3, deleted

# The undeleted message comes back after its 1 s visibility timeout.
again = client.receive_message(QueueUrl=url, WaitTimeSeconds=5, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
assert again[0]["Body"] == body and again[0]["Attributes"]["ApproximateReceiveCount"] == "2", again
client.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])
assert "Messages" not in client.receive_message(QueueUrl=url)

try:
    client.get_queue_url(QueueName="no-such-queue")
    raise AssertionError("expected QueueDoesNotExist")
except client.exceptions.QueueDoesNotExist as e:
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400

client.send_message(QueueUrl=url, MessageBody="to purge")
client.purge_queue(QueueUrl=url)
try:
    client.purge_queue(QueueUrl=url)
    raise AssertionError("expected PurgeQueueInProgress")
except client.exceptions.PurgeQueueInProgress:
    pass

client.delete_queue(QueueUrl=url)
assert "QueueUrls" not in client.list_queues(QueueNamePrefix="py-")
print("boto3 sqs ok")
