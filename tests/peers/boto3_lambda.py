"""Drives the Lambda API with boto3 (REST JSON): argv[1] is the endpoint, argv[2] a function
binary on the lambda_runtime crate (lambda-test-functions' echo_function example), which the script
packs as `bootstrap` into a zip as a Rust user would.

Exits non-zero (an AssertionError or a botocore error) on any difference from AWS behaviour.
"""
import base64
import io
import json
import sys
import zipfile

import boto3
from botocore.config import Config

client = boto3.client(
    "lambda",
    endpoint_url=sys.argv[1],
    region_name="us-east-1",
    aws_access_key_id="AKIDTEST",
    aws_secret_access_key="secret",
    config=Config(retries={"max_attempts": 1}),
)

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16
    with open(sys.argv[2], "rb") as f:
        z.writestr(info, f.read())

created = client.create_function(
    FunctionName="py-echo",
    Runtime="provided.al2023",
    Role="arn:aws:iam::000000000000:role/lambda",
    Handler="bootstrap",
    Code={"ZipFile": buf.getvalue()},
    Timeout=5,
    Environment={"Variables": {"GREETING": "hi"}},
    DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
)
assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:000000000000:function:py-echo", created
assert created["DeadLetterConfig"]["TargetArn"].endswith(":dlq"), created

conf = client.get_function_configuration(FunctionName="py-echo")
assert conf["Environment"]["Variables"] == {"GREETING": "hi"}, conf
assert any(f["FunctionName"] == "py-echo" for f in client.list_functions()["Functions"])

out = client.invoke(FunctionName="py-echo", Payload=json.dumps({"action": "echo", "n": 1}), LogType="Tail")
assert out["StatusCode"] == 200, out
assert json.loads(out["Payload"].read())["echo"]["n"] == 1
assert "REPORT RequestId" in base64.b64decode(out["LogResult"]).decode()

failed = client.invoke(FunctionName="py-echo", Payload=json.dumps({"action": "fail"}))
assert failed["FunctionError"] == "Unhandled", failed

queued = client.invoke(FunctionName="py-echo", InvocationType="Event", Payload=b"{}")
assert queued["StatusCode"] == 202, queued

client.put_function_concurrency(FunctionName="py-echo", ReservedConcurrentExecutions=1)
assert client.get_function_concurrency(FunctionName="py-echo")["ReservedConcurrentExecutions"] == 1

client.put_function_event_invoke_config(FunctionName="py-echo", MaximumRetryAttempts=0)
assert client.get_function_event_invoke_config(FunctionName="py-echo")["MaximumRetryAttempts"] == 0

client.tag_resource(Resource=created["FunctionArn"], Tags={"team": "data"})
assert client.list_tags(Resource=created["FunctionArn"])["Tags"] == {"team": "data"}
assert client.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 1000

try:
    client.get_function(FunctionName="missing")
    raise AssertionError("expected ResourceNotFoundException")
except client.exceptions.ResourceNotFoundException:
    pass

client.delete_function(FunctionName="py-echo")
print("boto3 lambda ok")
