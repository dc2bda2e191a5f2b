"""Drives CloudWatch Logs ingestion with boto3 (AWS JSON 1.1): argv[1] is the endpoint.

Groups and streams, PutLogEvents with its rejections and an EMF document sent with the
`x-amzn-logs-format: json/emf` header, retention, tags and paging; the EMF metric and the
AWS/Logs metrics read back with GetMetricData. Exits non-zero (an AssertionError or a
botocore error) on any difference from AWS behaviour.
"""
import datetime
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

common = dict(
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
logs = boto3.client("logs", **common)
cloudwatch = boto3.client("cloudwatch", **common)


def error(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{call} succeeded")


logs.create_log_group(logGroupName="py/app", tags={"env": "dev"})
assert error(logs.create_log_group, logGroupName="py/app") == (
    "ResourceAlreadyExistsException",
    "The specified log group already exists",
)
logs.create_log_stream(logGroupName="py/app", logStreamName="one")
assert error(logs.create_log_stream, logGroupName="py/app", logStreamName="one") == (
    "ResourceAlreadyExistsException",
    "The specified log stream already exists",
)

now = int(time.time() * 1000)
assert error(
    logs.put_log_events,
    logGroupName="py/app",
    logStreamName="one",
    logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
) == (
    "InvalidParameterException",
    "Log events in a single PutLogEvents request must be in chronological order.",
)
out = logs.put_log_events(
    logGroupName="py/app",
    logStreamName="one",
    logEvents=[
        {"timestamp": now - 20 * 86_400_000, "message": "old"},
        {"timestamp": now, "message": "hello"},
        {"timestamp": now + 5 * 3_600_000, "message": "future"},
    ],
)
assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2}, out
assert len(out["nextSequenceToken"]) == 56, out

emf = {
    "_aws": {
        "Timestamp": now,
        "CloudWatchMetrics": [
            {"Namespace": "PyShop", "Dimensions": [["Service"]], "Metrics": [{"Name": "Orders", "Unit": "Count"}]}
        ],
    },
    "Service": "cart",
    "Orders": 7,
}


def emf_header(request, **_):
    request.headers["x-amzn-logs-format"] = "json/emf"


logs.meta.events.register("before-sign.cloudwatch-logs.PutLogEvents", emf_header)
logs.put_log_events(
    logGroupName="py/app",
    logStreamName="one",
    logEvents=[{"timestamp": now, "message": json.dumps(emf)}],
)
logs.meta.events.unregister("before-sign.cloudwatch-logs.PutLogEvents", emf_header)

events = logs.get_log_events(logGroupName="py/app", logStreamName="one", startFromHead=True)["events"]
assert [e["message"] for e in events][0] == "hello", events
assert len(events) == 2, events

logs.put_retention_policy(logGroupName="py/app", retentionInDays=30)
code, message = error(logs.put_retention_policy, logGroupName="py/app", retentionInDays=31)
assert code == "InvalidParameterException", code
group = logs.describe_log_groups(logGroupNamePrefix="py/")["logGroups"][0]
assert group["retentionInDays"] == 30, group
assert group["arn"] == group["logGroupArn"] + ":*", group

logs.tag_resource(resourceArn=group["logGroupArn"], tags={"team": "data"})
logs.untag_resource(resourceArn=group["logGroupArn"], tagKeys=["env"])
assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {"team": "data"}

for i in range(3):
    logs.create_log_group(logGroupName=f"py/page-{i}")
pages = list(logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="py/page-", limit=2))
assert [len(p["logGroups"]) for p in pages] == [2, 1], pages

logs.delete_log_group(logGroupName="py/app")
assert error(logs.delete_log_group, logGroupName="py/app")[0] == "ResourceNotFoundException"

start = datetime.datetime.fromtimestamp((now - 600_000) / 1000, datetime.timezone.utc)
end = datetime.datetime.fromtimestamp((now + 120_000) / 1000, datetime.timezone.utc)


def total(namespace, name, dimensions):
    out = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dimensions},
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=start,
        EndTime=end,
    )
    return sum(out["MetricDataResults"][0]["Values"])


assert total("PyShop", "Orders", [{"Name": "Service", "Value": "cart"}]) == 7
group_dim = [{"Name": "LogGroupName", "Value": "py/app"}]
assert total("AWS/Logs", "IncomingLogEvents", group_dim) == 2
assert total("AWS/Logs", "IncomingBytes", group_dim) == len("hello") + len(json.dumps(emf))
print("boto3 logs ok")
