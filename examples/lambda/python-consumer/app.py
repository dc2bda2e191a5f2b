"""A Kinesis consumer for AWS Lambda (runtime python3.x), unchanged on AWS and on streamwatch.

Each record's data is expected to be JSON; a record that is not is reported in
batchItemFailures (the event source mapping needs FunctionResponseTypes
ReportBatchItemFailures), so Lambda retries from it while the records before it count as done.

Deploy on the embedded engine, mapped to a stream, in one command:

    STREAMWATCH_PYTHON=.venv/bin/python3 streamwatch serve &
    streamwatch function deploy --name py-consumer --dir examples/lambda/python-consumer \
        --runtime python3.12 --handler app.handler --kinesis-stream orders
"""

import base64
import json


def handler(event, context):
    failures = []
    for record in event.get("Records", []):
        kinesis = record["kinesis"]
        try:
            body = json.loads(base64.b64decode(kinesis["data"]))
        except ValueError:
            failures.append({"itemIdentifier": kinesis["sequenceNumber"]})
            continue
        print(json.dumps({"partitionKey": kinesis["partitionKey"], "body": body}))
    return {"batchItemFailures": failures}
