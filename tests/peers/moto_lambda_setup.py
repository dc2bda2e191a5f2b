"""Sets up Lambda functions, an event source mapping and AWS/Lambda datapoints in a moto
server, for the collector's tests. Usage: moto_lambda_setup.py ENDPOINT SUFFIX

Prints JSON: the function names, the stream ARN and the datapoint timestamp (epoch ms).
"""

import datetime
import io
import json
import sys
import zipfile

import boto3

endpoint, suffix = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
iam = boto3.client("iam", **kw)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"Service": "lambda.amazonaws.com"}}]}
role = iam.create_role(RoleName=f"role-{suffix}",
                       AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
code = io.BytesIO()
with zipfile.ZipFile(code, "w") as z:
    z.writestr("index.py", "def handler(event, context):\n    return len(event)\n")
lam = boto3.client("lambda", **kw)
names = [f"fn-a-{suffix}", f"fn-b-{suffix}"]
for i, name in enumerate(names):
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="index.handler", Code={"ZipFile": code.getvalue()},
                        MemorySize=256 * (i + 1), Timeout=30, Tags={"team": f"t{i}"})
kin = boto3.client("kinesis", **kw)
stream = f"src-{suffix}"
kin.create_stream(StreamName=stream, ShardCount=1)
arn = kin.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=names[0],
                                StartingPosition="TRIM_HORIZON")
cw = boto3.client("cloudwatch", **kw)
now = datetime.datetime.now(datetime.timezone.utc)
at = (now - datetime.timedelta(minutes=3)).replace(second=10, microsecond=0)
dims = [{"Name": "FunctionName", "Value": names[0]}]
cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[
    {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": at, "Value": 5, "Unit": "Count"},
    {"MetricName": "Errors", "Dimensions": dims, "Timestamp": at, "Value": 2, "Unit": "Count"},
    {"MetricName": "Duration", "Dimensions": dims, "Timestamp": at, "Value": 120.0, "Unit": "Milliseconds"},
    {"MetricName": "Duration", "Dimensions": dims, "Timestamp": at, "Value": 80.0, "Unit": "Milliseconds"},
])
print(json.dumps({"functions": names, "stream_arn": arn, "stream": stream,
                  "at_ms": int(at.timestamp() * 1000)}))
