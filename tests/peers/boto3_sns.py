"""Drives the SNS API with boto3 (the query protocol): argv[1] is the endpoint.

A topic, an SQS subscription, a publish with a subject and message attributes, and the SNS
envelope read back from the queue. Exits non-zero (an AssertionError or a botocore error) on
any difference from AWS behaviour.
"""
import json
import sys

import boto3
from botocore.config import Config

kwargs = dict(
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
sns = boto3.client("sns", **kwargs)
sqs = boto3.client("sqs", **kwargs)

topic = sns.create_topic(Name="py-topic", Attributes={"DisplayName": "Py"})["TopicArn"]
assert topic == "arn:aws:sns:us-east-1:000000000000:py-topic", topic
assert sns.create_topic(Name="py-topic")["TopicArn"] == topic
assert {"TopicArn": topic} in sns.list_topics()["Topics"]
attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
assert attrs["DisplayName"] == "Py" and attrs["TopicArn"] == topic, attrs

url = sqs.create_queue(QueueName="py-sns")["QueueUrl"]
queue_arn = "arn:aws:sqs:us-east-1:000000000000:py-sns"
sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
assert sub.startswith(topic + ":"), sub
subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
assert subs == [
    {
        "SubscriptionArn": sub,
        "Owner": "000000000000",
        "Protocol": "sqs",
        "Endpoint": queue_arn,
        "TopicArn": topic,
    }
], subs

message_id = sns.publish(
    TopicArn=topic,
    Subject="From boto3",
    Message="hello from boto3",
    MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "greeting"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    },
)["MessageId"]

got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
envelope = json.loads(got[0]["Body"])
assert envelope["Type"] == "Notification", envelope
assert envelope["MessageId"] == message_id, envelope
assert envelope["TopicArn"] == topic, envelope
assert envelope["Subject"] == "From boto3", envelope
assert envelope["Message"] == "hello from boto3", envelope
assert envelope["SignatureVersion"] == "1", envelope
assert envelope["MessageAttributes"] == {
    "kind": {"Type": "String", "Value": "greeting"},
    "blob": {"Type": "Binary", "Value": "AAE="},
}, envelope
for member in ("Timestamp", "Signature", "SigningCertURL", "UnsubscribeURL"):
    assert envelope[member], member

try:
    sns.publish(TopicArn=topic.replace("py-topic", "missing"), Message="x")
    raise AssertionError("publish to a missing topic succeeded")
except sns.exceptions.NotFoundException as e:
    assert e.response["Error"]["Message"] == "Topic does not exist", e.response

sns.unsubscribe(SubscriptionArn=sub)
sns.delete_topic(TopicArn=topic)
assert sns.list_topics()["Topics"] == []
print("boto3 sns ok")
