"""Drives the CloudWatch API with boto3 (AWS JSON 1.0 with query-compatible errors):
argv[1] is the endpoint. Writes Kinesis traffic first and reads its metrics back.

Exits non-zero on any difference from the expected behaviour.
"""
import datetime
import sys

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
common = dict(
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
kinesis = boto3.client("kinesis", **common)
cw = boto3.client("cloudwatch", **common)
now = datetime.datetime.now(datetime.timezone.utc)

kinesis.create_stream(StreamName="cwpy", ShardCount=1)
kinesis.get_waiter("stream_exists").wait(StreamName="cwpy", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
kinesis.put_records(
    StreamName="cwpy",
    Records=[{"PartitionKey": f"k{i}", "Data": b"0123456789"} for i in range(20)],
)

# Custom metrics, including a payload big enough for botocore to gzip (>= 10 KiB).
cw.put_metric_data(
    Namespace="PyApp",
    MetricData=[
        {
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Op", "Value": "get"}],
            "Values": [float(v) for v in range(1, 101)],
            "Unit": "Milliseconds",
            "StorageResolution": 1,
        }
    ]
    + [{"MetricName": f"Filler{i}", "Value": 1.0} for i in range(200)],
)

out = cw.get_metric_data(
    StartTime=now - datetime.timedelta(minutes=10),
    EndTime=now + datetime.timedelta(minutes=1),
    MetricDataQueries=[
        {
            "Id": "incoming",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Kinesis",
                    "MetricName": "IncomingRecords",
                    "Dimensions": [{"Name": "StreamName", "Value": "cwpy"}],
                },
                "Period": 600,
                "Stat": "Sum",
            },
        },
        {
            "Id": "lat",
            "MetricStat": {
                "Metric": {
                    "Namespace": "PyApp",
                    "MetricName": "Latency",
                    "Dimensions": [{"Name": "Op", "Value": "get"}],
                },
                "Period": 600,
                "Stat": "Sum",
            },
        },
        {"Id": "double", "Expression": "incoming * 2", "Label": "twice"},
    ],
)
results = {r["Id"]: r for r in out["MetricDataResults"]}
assert sum(results["incoming"]["Values"]) == 20.0, results["incoming"]
assert sum(results["lat"]["Values"]) == 5050.0, results["lat"]
assert sum(results["double"]["Values"]) == 40.0, results["double"]
assert results["double"]["Label"] == "twice"
assert out["Messages"] == []
assert isinstance(results["incoming"]["Timestamps"][0], datetime.datetime)

stats = cw.get_metric_statistics(
    Namespace="AWS/Kinesis",
    MetricName="IncomingBytes",
    Dimensions=[{"Name": "StreamName", "Value": "cwpy"}],
    StartTime=now - datetime.timedelta(minutes=10),
    EndTime=now + datetime.timedelta(minutes=1),
    Period=660,
    Statistics=["Sum", "SampleCount"],
)
assert stats["Label"] == "IncomingBytes"
point = stats["Datapoints"][0]
# 20 records of a 2- or 3-byte key plus 10 bytes of data.
assert point["Sum"] == 20 * 10 + 10 * 2 + 10 * 3, point
assert point["Unit"] == "Bytes", point

names = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/Kinesis")["Metrics"]}
assert {"IncomingBytes", "IncomingRecords", "PutRecords.Latency"} <= names, names

try:
    cw.put_metric_data(Namespace="PyApp", MetricData=[{"MetricName": "m", "Value": 1.0, "Values": [1.0]}])
    raise AssertionError("expected InvalidParameterCombination")
except cw.exceptions.InvalidParameterCombinationException as e:
    assert "mutually exclusive" in e.response["Error"]["Message"]

try:
    cw.get_metric_statistics(
        Namespace="PyApp",
        MetricName="Latency",
        StartTime=now,
        EndTime=now,
        Period=60,
        Statistics=["Sum"],
    )
    raise AssertionError("expected InvalidParameterValue")
except cw.exceptions.InvalidParameterValueException as e:
    assert e.response["Error"]["Code"] == "InvalidParameterValue"

print("boto3 cloudwatch ok")
