#!/usr/bin/env bash
# Drives the Kinesis API with the AWS CLI: $1 is the endpoint, $2 the `aws` executable.
set -euo pipefail
endpoint=$1
aws=$2
export AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
k() { "$aws" --endpoint-url "$endpoint" --output json kinesis "$@"; }

k create-stream --stream-name cli --shard-count 1
k wait stream-exists --stream-name cli
seq=$(k put-record --stream-name cli --partition-key p --data "hello from the cli" --query SequenceNumber --output text)
[[ ${#seq} -eq 56 ]] || { echo "bad sequence number: $seq"; exit 1; }
it=$(k get-shard-iterator --stream-name cli --shard-id shardId-000000000000 \
  --shard-iterator-type AT_SEQUENCE_NUMBER --starting-sequence-number "$seq" --query ShardIterator --output text)
data=$(k get-records --shard-iterator "$it" --query 'Records[0].Data' --output text)
# The CLI prints blobs base64-encoded.
[[ $(echo "$data" | base64 -d) == "hello from the cli" ]] || { echo "unexpected data: $data"; exit 1; }
[[ $(k list-streams --query 'StreamNames[0]' --output text) == cli ]]
if k describe-stream --stream-name nope 2>err.txt; then echo "expected an error"; exit 1; fi
grep -q ResourceNotFoundException err.txt
rm -f err.txt
k delete-stream --stream-name cli
echo "aws cli ok"
