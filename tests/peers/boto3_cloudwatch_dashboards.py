"""Drives the CloudWatch dashboard operations with boto3: argv[1] is the endpoint, argv[2] the
protocol botocore's model is narrowed to (through AWS_DATA_PATH): `smithy-rpc-v2-cbor`, `json`
or `query`, as in boto3_cloudwatch_alarms.py."""
import datetime
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

body = json.dumps({
    "widgets": [{
        "type": "metric", "x": 0, "y": 0, "width": 6, "height": 6,
        "properties": {
            "metrics": [["AWS/Kinesis", "IncomingRecords", "StreamName", "orders & <returns>"]],
            "region": "us-east-1", "view": "timeSeries", "stacked": False,
        },
    }]
})

out = cw.put_dashboard(DashboardName=p + "main", DashboardBody=body)
assert out.get("DashboardValidationMessages", []) == [], out
got = cw.get_dashboard(DashboardName=p + "main")
assert got["DashboardBody"] == body, got
assert got["DashboardName"] == p + "main"
assert got["DashboardArn"] == "arn:aws:cloudwatch::000000000000:dashboard/" + p + "main", got

listed = cw.list_dashboards(DashboardNamePrefix=p)["DashboardEntries"]
assert [e["DashboardName"] for e in listed] == [p + "main"], listed
assert listed[0]["Size"] == len(body.encode()), listed
age = datetime.datetime.now(datetime.timezone.utc) - listed[0]["LastModified"]
assert abs(age.total_seconds()) < 60, listed
assert cw.list_dashboards(DashboardNamePrefix="no-valid")["DashboardEntries"] == []

try:
    cw.put_dashboard(DashboardName=p + "bad", DashboardBody='{"widgets":[{"type":"text"}]}')
    raise AssertionError("an invalid body was taken")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidParameterInput", e.response
    assert e.response["Error"]["Message"].startswith(
        "The dashboard body is invalid, there are 1 validation errors:"), e.response

try:
    cw.put_dashboard(DashboardName=p + "bad:name", DashboardBody=body)
    raise AssertionError("an invalid name was taken")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidParameterValue", e.response

cw.delete_dashboards(DashboardNames=[p + "main"])
try:
    cw.get_dashboard(DashboardName=p + "main")
    raise AssertionError("a deleted dashboard was found")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFound", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, e.response
assert cw.list_dashboards(DashboardNamePrefix=p)["DashboardEntries"] == []
print(f"boto3 cloudwatch dashboards {protocol} ok")
