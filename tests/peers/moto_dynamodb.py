"""moto's server, single-threaded, for the DynamoDB checkpointer tests.

moto's own `moto_server` serves requests on many threads and does not serialize a
conditional write's check with its write, so two racing conditional updates can both
succeed there, which DynamoDB never allows. One thread serializes every request, so the
conditions hold as on DynamoDB. Usage: moto_dynamodb.py PORT
"""

import sys

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    port = int(sys.argv[1])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple("127.0.0.1", port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
