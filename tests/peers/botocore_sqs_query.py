"""Drives SQS in the query protocol with botocore 1.34.89, the last release whose SQS model
speaks it (form requests with flattened lists and maps, XML answers): argv[1] is the
endpoint, argv[2] the directory that release is installed in (scripts/test.sh puts it in
.venv/botocore-sqs-query). Every call below is serialized and parsed by that botocore's own
query code, as SDKs of its time send them.

Exits non-zero (an AssertionError or a botocore error) on any difference from AWS behaviour.
"""
import sys

sys.path.insert(0, sys.argv[2])

import botocore  # noqa: E402
import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

assert botocore.__version__ == "1.34.89", botocore.__version__
client = botocore.session.get_session().create_client(
    "sqs",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
assert client.meta.service_model.protocol == "query"


def error(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{call.__name__} succeeded: {kwargs}")


url = client.create_queue(
    QueueName="legacy",
    Attributes={"VisibilityTimeout": "45", "DelaySeconds": "0"},
    tags={"team": "data"},
)["QueueUrl"]
assert url.endswith("/legacy"), url
assert client.get_queue_url(QueueName="legacy")["QueueUrl"] == url
attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
assert attrs["VisibilityTimeout"] == "45", attrs
assert attrs["QueueArn"].endswith(":legacy"), attrs
assert client.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "data"}
client.tag_queue(QueueUrl=url, Tags={"stage": "test"})
client.untag_queue(QueueUrl=url, TagKeys=["team"])
assert client.list_queue_tags(QueueUrl=url)["Tags"] == {"stage": "test"}
client.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
assert url in client.list_queues(QueueNamePrefix="leg")["QueueUrls"]

sent = client.send_message(
    QueueUrl=url,
    MessageBody="<order id='1'> & more",
    MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
    },
)
assert len(sent["MessageId"]) == 36, sent
batch = client.send_message_batch(
    QueueUrl=url,
    Entries=[
        {"Id": "a", "MessageBody": "second"},
        {"Id": "b", "MessageBody": "late", "DelaySeconds": 901},
    ],
)
assert [e["Id"] for e in batch["Successful"]] == ["a"], batch
assert batch["Failed"][0]["Id"] == "b" and batch["Failed"][0]["SenderFault"] is True, batch

got = client.receive_message(
    QueueUrl=url,
    MaxNumberOfMessages=10,
    AttributeNames=["All"],
    MessageAttributeNames=["All"],
)["Messages"]
bodies = sorted(m["Body"] for m in got)
assert bodies == ["<order id='1'> & more", "second"], bodies
first = next(m for m in got if m["MessageId"] == sent["MessageId"])
assert first["MessageAttributes"]["kind"]["StringValue"] == "order", first
assert first["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01\xff", first
assert first["Attributes"]["ApproximateReceiveCount"] == "1", first
assert first["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"], (first, sent)

client.change_message_visibility(
    QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
)
again = client.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2", again
deleted = client.delete_message_batch(
    QueueUrl=url,
    Entries=[
        {"Id": "x", "ReceiptHandle": again["Messages"][0]["ReceiptHandle"]},
        {"Id": "y", "ReceiptHandle": "not-a-handle"},
    ],
)
assert [e["Id"] for e in deleted["Successful"]] == ["x"], deleted
assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid", deleted
other = next(m for m in got if m["MessageId"] != sent["MessageId"])
client.delete_message(QueueUrl=url, ReceiptHandle=other["ReceiptHandle"])
assert client.receive_message(QueueUrl=url).get("Messages", []) == []

code, message = error(client.get_queue_url, QueueName="missing")
assert code == "AWS.SimpleQueueService.NonExistentQueue", (code, message)
code, _ = error(client.send_message, QueueUrl=url, MessageBody="x", DelaySeconds=901)
assert code == "InvalidParameterValue", code
client.send_message(QueueUrl=url, MessageBody="for the JSON client")
print("botocore sqs query ok", url)
