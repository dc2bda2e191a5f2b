"""Drives the CloudWatch API in the query protocol (form requests, XML answers) with botocore's
own query serializer and XML parser: argv[1] is the endpoint.

Current botocore prefers JSON 1.0 for CloudWatch; older SDKs and tools still send query. This
script loads botocore's CloudWatch model with its protocol list narrowed to `query` (through
AWS_DATA_PATH), so every request below goes out as older clients send it.
"""
import datetime
import gzip
import json
import os
import sys
import tempfile

import botocore

endpoint = sys.argv[1]

source = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01")
with gzip.open(os.path.join(source, "service-2.json.gz")) as f:
    model = json.load(f)
model["metadata"]["protocol"] = "query"
model["metadata"]["protocols"] = ["query"]
data_path = tempfile.mkdtemp()
target = os.path.join(data_path, "cloudwatch", "2010-08-01")
os.makedirs(target)
with open(os.path.join(target, "service-2.json"), "w") as f:
    json.dump(model, f)
os.environ["AWS_DATA_PATH"] = data_path

import boto3  # noqa: E402  (after AWS_DATA_PATH is set)
from botocore.config import Config  # noqa: E402

cw = boto3.client(
    "cloudwatch",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
assert cw.meta.service_model.protocol == "query", cw.meta.service_model.protocol
now = datetime.datetime.now(datetime.timezone.utc)
op = [{"Name": "Op", "Value": "get & <put>"}]

cw.put_metric_data(
    Namespace="QueryApp",
    MetricData=[
        {
            "MetricName": "Latency",
            "Dimensions": op,
            "Values": [float(v) for v in range(1, 11)],
            "Counts": [2.0] * 10,
            "Unit": "Milliseconds",
        },
        {"MetricName": "Small", "Value": 1e-05, "Timestamp": now - datetime.timedelta(seconds=30)},
    ],
)

listed = cw.list_metrics(Namespace="QueryApp")["Metrics"]
assert sorted(m["MetricName"] for m in listed) == ["Latency", "Small"], listed
lat = [m for m in listed if m["MetricName"] == "Latency"][0]
assert lat["Dimensions"] == op, lat

out = cw.get_metric_data(
    StartTime=now - datetime.timedelta(minutes=10),
    EndTime=now + datetime.timedelta(minutes=1),
    MetricDataQueries=[
        {
            "Id": "lat",
            "MetricStat": {
                "Metric": {"Namespace": "QueryApp", "MetricName": "Latency", "Dimensions": op},
                "Period": 660,
                "Stat": "Sum",
            },
        },
        {
            "Id": "small",
            "MetricStat": {
                "Metric": {"Namespace": "QueryApp", "MetricName": "Small"},
                "Period": 660,
                "Stat": "Maximum",
            },
        },
        {"Id": "half", "Expression": "lat / 2", "Label": "half"},
    ],
)
results = {r["Id"]: r for r in out["MetricDataResults"]}
assert results["lat"]["Values"] == [110.0], results["lat"]
assert results["small"]["Values"] == [1e-05], results["small"]
assert results["half"]["Values"] == [55.0], results["half"]
assert results["half"]["Label"] == "half"
assert isinstance(results["lat"]["Timestamps"][0], datetime.datetime)
assert results["lat"]["StatusCode"] == "Complete"

stats = cw.get_metric_statistics(
    Namespace="QueryApp",
    MetricName="Latency",
    Dimensions=op,
    StartTime=now - datetime.timedelta(minutes=10),
    EndTime=now + datetime.timedelta(minutes=1),
    Period=660,
    ExtendedStatistics=["p100", "p50"],
)
point = stats["Datapoints"][0]
assert point["ExtendedStatistics"]["p100"] == 10.0, point
assert abs(point["ExtendedStatistics"]["p50"] - 5.0) <= 0.05, point
assert point["Unit"] == "Milliseconds", point
assert stats["Label"] == "Latency"

empty = cw.get_metric_statistics(
    Namespace="QueryApp",
    MetricName="Nothing",
    StartTime=now - datetime.timedelta(minutes=10),
    EndTime=now,
    Period=60,
    Statistics=["Sum"],
)
assert empty["Datapoints"] == [], empty

try:
    cw.put_metric_data(Namespace="QueryApp", MetricData=[{"MetricName": "m", "Value": 1.0, "Values": [2.0]}])
    raise AssertionError("expected InvalidParameterCombination")
except cw.exceptions.InvalidParameterCombinationException as e:
    assert e.response["Error"]["Code"] == "InvalidParameterCombination"
    assert e.response["Error"]["Type"] == "Sender"
    assert "mutually exclusive" in e.response["Error"]["Message"]

try:
    cw.get_metric_statistics(
        Namespace="QueryApp", MetricName="Latency", StartTime=now, EndTime=now, Period=60, Statistics=["Sum"]
    )
    raise AssertionError("expected InvalidParameterValue")
except cw.exceptions.InvalidParameterValueException as e:
    assert e.response["Error"]["Message"] == "The parameter StartTime must be less than the parameter EndTime."

print("boto3 cloudwatch query ok")
