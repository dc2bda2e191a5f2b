"""A Kinesis consumer for AWS Lambda (runtime python3.x), unchanged on AWS and on streamwatch.

Each record's data is expected to be JSON; a record that is not is reported in
batchItemFailures (the event source mapping needs FunctionResponseTypes
ReportBatchItemFailures), so Lambda retries from it while the records before it count as done.

With STREAMWATCH_LOAD_COMPLETIONS=1 in the function's environment, every record sent by
`streamwatch load` (its JSON carries "_lt", "_seq" and "_sent_ms") that is handled prints one
completion line, which the load test reads from the function's log to measure end-to-end
latency, on AWS as on the embedded engine:

    STREAMWATCH_LOAD_COMPLETE {"_lt": "...", "_seq": 12, "_sent_ms": 1733..., "done_ms": 1733...}

Deploy on the embedded engine, mapped to a stream, in one command:

    STREAMWATCH_PYTHON=.venv/bin/python3 streamwatch serve &
    streamwatch function deploy --name py-consumer --dir examples/lambda/python-consumer \
        --runtime python3.12 --handler app.handler --kinesis-stream orders
"""

import base64
import json
import os
import time

COMPLETION_PREFIX = "STREAMWATCH_LOAD_COMPLETE"


def log_completions():
    return os.environ.get("STREAMWATCH_LOAD_COMPLETIONS", "") not in ("", "0")


def handler(event, context):
    failures = []
    completions = log_completions()
    for record in event.get("Records", []):
        kinesis = record["kinesis"]
        try:
            body = json.loads(base64.b64decode(kinesis["data"]))
        except ValueError:
            failures.append({"itemIdentifier": kinesis["sequenceNumber"]})
            continue
        print(json.dumps({"partitionKey": kinesis["partitionKey"], "body": body}))
        if completions and isinstance(body, dict) and "_lt" in body:
            done = {
                "_lt": body["_lt"],
                "_seq": body.get("_seq"),
                "_sent_ms": body.get("_sent_ms"),
                "done_ms": int(time.time() * 1000),
            }
            print(COMPLETION_PREFIX, json.dumps(done, separators=(",", ":")))
    return {"batchItemFailures": failures}
