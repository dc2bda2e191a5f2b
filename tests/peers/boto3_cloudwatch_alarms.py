"""Drives the CloudWatch alarm operations with boto3: argv[1] is the endpoint, argv[2] the
protocol botocore's model is narrowed to (through AWS_DATA_PATH): `smithy-rpc-v2-cbor` (what
current botocore sends by default), `json` (botocore before December 2025, the AWS CLI v1) or
`query` (form requests and XML answers, as older SDKs send)."""
import gzip
import json
import os
import sys
import tempfile

import botocore

endpoint, protocol = sys.argv[1], sys.argv[2]
source = os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "2010-08-01")
with gzip.open(os.path.join(source, "service-2.json.gz")) as f:
    model = json.load(f)
model["metadata"]["protocol"] = protocol
model["metadata"]["protocols"] = [protocol]
data_path = tempfile.mkdtemp()
target = os.path.join(data_path, "cloudwatch", "2010-08-01")
os.makedirs(target)
with open(os.path.join(target, "service-2.json"), "w") as f:
    json.dump(model, f)
os.environ["AWS_DATA_PATH"] = data_path

import boto3  # noqa: E402  (after AWS_DATA_PATH is set)
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

cw = boto3.client(
    "cloudwatch",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)
assert cw.meta.service_model.protocol == protocol, cw.meta.service_model.protocol
p = protocol.split("-")[0] + "-"
queue = [{"Name": "Queue", "Value": "orders & <returns>"}]


def error_code(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message")
    raise AssertionError(f"{call.__name__} succeeded")


cw.put_metric_alarm(
    AlarmName=p + "latency-p99",
    AlarmDescription="p99 latency above 250 ms",
    Namespace="Shop",
    MetricName="Latency",
    Dimensions=queue,
    ExtendedStatistic="p99",
    Period=60,
    EvaluationPeriods=5,
    DatapointsToAlarm=3,
    Threshold=250.0,
    ComparisonOperator="GreaterThanThreshold",
    TreatMissingData="notBreaching",
    EvaluateLowSampleCountPercentile="ignore",
    Unit="Milliseconds",
    AlarmActions=["arn:aws:sns:us-east-1:000000000000:pager"],
    Tags=[{"Key": "team", "Value": "payments"}],
)
cw.put_metric_alarm(
    AlarmName=p + "error-rate",
    Metrics=[
        {"Id": "e", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Errors", "Dimensions": queue}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "r", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Requests", "Dimensions": queue}, "Period": 60, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "rate", "Expression": "100 * e / r", "Label": "Error rate", "ReturnData": True},
    ],
    EvaluationPeriods=1,
    Threshold=1.0,
    ComparisonOperator="GreaterThanThreshold",
)
alarms = cw.describe_alarms(AlarmNamePrefix=p)["MetricAlarms"]
by_name = {a["AlarmName"]: a for a in alarms}
assert set(by_name) == {p + "latency-p99", p + "error-rate"}, by_name
latency = by_name[p + "latency-p99"]
assert latency["ExtendedStatistic"] == "p99", latency
assert latency["Dimensions"] == queue, latency
assert latency["DatapointsToAlarm"] == 3 and latency["EvaluationPeriods"] == 5, latency
assert latency["TreatMissingData"] == "notBreaching", latency
assert latency["Unit"] == "Milliseconds", latency
assert latency["StateValue"] == "INSUFFICIENT_DATA", latency
assert latency["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:" + p + "latency-p99"
rate = by_name[p + "error-rate"]
assert [m["Id"] for m in rate["Metrics"]] == ["e", "r", "rate"], rate
assert rate["Metrics"][2]["Expression"] == "100 * e / r", rate
assert rate["Metrics"][0]["MetricStat"]["Metric"]["MetricName"] == "Errors", rate

found = cw.describe_alarms_for_metric(Namespace="Shop", MetricName="Latency", Dimensions=queue)
assert [a["AlarmName"] for a in found["MetricAlarms"]] == [p + "latency-p99"], found

cw.put_composite_alarm(
    AlarmName=p + "unhealthy",
    AlarmRule=f'ALARM("{p}latency-p99") OR ALARM("{p}error-rate")',
)
both = cw.describe_alarms(AlarmNamePrefix=p, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
assert len(both["MetricAlarms"]) == 2 and len(both["CompositeAlarms"]) == 1, both
assert both["CompositeAlarms"][0]["StateValue"] in ("INSUFFICIENT_DATA", "OK"), both

cw.set_alarm_state(AlarmName=p + "error-rate", StateValue="ALARM", StateReason="by hand")
in_alarm = cw.describe_alarms(AlarmNamePrefix=p, StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"])
assert {a["AlarmName"] for a in in_alarm["MetricAlarms"]} == {p + "error-rate"}, in_alarm
assert [a["AlarmName"] for a in in_alarm["CompositeAlarms"]] == [p + "unhealthy"], in_alarm
history = cw.describe_alarm_history(AlarmName=p + "error-rate", HistoryItemType="StateUpdate")
item = history["AlarmHistoryItems"][0]
assert item["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM", item
assert json.loads(item["HistoryData"])["newState"]["stateValue"] == "ALARM", item
composite_history = cw.describe_alarm_history(AlarmName=p + "unhealthy", AlarmTypes=["CompositeAlarm"])
assert any(h["HistoryItemType"] == "StateUpdate" for h in composite_history["AlarmHistoryItems"]), composite_history

cw.disable_alarm_actions(AlarmNames=[p + "latency-p99"])
assert not cw.describe_alarms(AlarmNames=[p + "latency-p99"])["MetricAlarms"][0]["ActionsEnabled"]
cw.enable_alarm_actions(AlarmNames=[p + "latency-p99"])
assert cw.describe_alarms(AlarmNames=[p + "latency-p99"])["MetricAlarms"][0]["ActionsEnabled"]

arn = latency["AlarmArn"]
cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "tier", "Value": "1"}])
cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tier", "Value": "1"}]

code, _ = error_code(
    cw.put_metric_alarm, AlarmName=p + "both", Namespace="Shop", MetricName="Latency",
    Statistic="Average", ExtendedStatistic="p99", Period=60, EvaluationPeriods=1,
    Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
)
assert code == "InvalidParameterCombination", code
code, message = error_code(
    cw.put_metric_alarm, AlarmName=p + "dp", Namespace="Shop", MetricName="Latency",
    Statistic="Average", Period=60, EvaluationPeriods=1, DatapointsToAlarm=2,
    Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
)
assert (code, message) == ("ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods"), (code, message)
code, _ = error_code(cw.set_alarm_state, AlarmName=p + "nope", StateValue="OK", StateReason="x")
assert code == "ResourceNotFound", code
code, _ = error_code(cw.describe_alarms, NextToken="bogus")
assert code == "InvalidNextToken", code
code, message = error_code(cw.delete_alarms, AlarmNames=[p + "error-rate"])
assert code == "ValidationError" and "composite alarm(s) depending on it" in message, (code, message)

pages = cw.get_paginator("describe_alarms").paginate(
    AlarmNamePrefix=p, AlarmTypes=["MetricAlarm", "CompositeAlarm"], PaginationConfig={"PageSize": 1}
)
names = [a["AlarmName"] for page in pages for a in page["MetricAlarms"] + page["CompositeAlarms"]]
assert sorted(names) == sorted([p + "latency-p99", p + "error-rate", p + "unhealthy"]), names

cw.delete_alarms(AlarmNames=[p + "unhealthy"])
cw.delete_alarms(AlarmNames=[p + "latency-p99", p + "error-rate", p + "never-was"])
left = cw.describe_alarms(AlarmNamePrefix=p, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
assert not left["MetricAlarms"] and not left["CompositeAlarms"], left
print(f"boto3 cloudwatch alarms {protocol} ok")
